from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError

ChannelLit = Literal["phone", "email", "chat", "portal", "wechat", "social", "email_other"]
ProblemLit = Literal[
    "product_inquiry", "technical_support", "order_inquiry", "after_sales", "complaint", "suggestion"
]
PriorityLit = Literal["low", "normal", "high", "urgent"]
ComplexityLit = Literal["simple", "general", "complex"]

# The oldest moment anything in a service record can have happened; and how far a client's clock
# may run ahead of ours. Outside these, a time is a typo (year 9999), not a fact, and answers 422.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=5)


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL (0x00): refused here as a 422 instead of a database 500.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", _("Text must not contain NUL (0x00) characters."))
    return value


def _plausible_time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    if value < EARLIEST:
        raise PydanticCustomError("time_too_old", _("This time is before the year 2000."))
    if value > timezone.now() + CLOCK_SKEW:
        raise PydanticCustomError("time_in_future", _("This time is in the future."))
    return value


def _not_ancient(value: datetime | None) -> datetime | None:
    # a future received time is refused by the service with its own message (受理时间…)
    if value is not None and value.tzinfo is not None and value < EARLIEST:
        raise PydanticCustomError("time_too_old", _("This time is before the year 2000."))
    if value is not None and value.tzinfo is None and value.year < EARLIEST.year:
        raise PydanticCustomError("time_too_old", _("This time is before the year 2000."))
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
PastTime = Annotated[datetime | None, AfterValidator(_plausible_time)]
ReceivedTime = Annotated[datetime | None, AfterValidator(_not_ancient)]


class CustomerIn(Schema):
    name: Text = Field(min_length=1, max_length=120)
    kind: Literal["person", "organisation"] = "person"
    organisation_id: int | None = None
    region: Text = Field("", max_length=60)
    tier: Literal["key_account", "regular"] | None = None
    phone: Text = Field("", max_length=40)
    email: Text = Field("", max_length=254)
    wechat_openid: Text = Field("", max_length=64)
    address: Text = Field("", max_length=300)


class CustomerOut(Schema):
    id: int
    name: str
    kind: str
    organisation_id: int | None
    organisation: str | None
    region: str
    tier: str
    lifecycle_stage: str
    account_manager: str | None
    phone: str
    email: str
    masked: bool


class TicketIn(Schema):
    """A new ticket. The fields a service centre sets (received_at, channel, priority, complexity,
    complaint_severity) are refused with 422 naming the field when a customer's token sends them:
    the customer's ticket is received now, on the portal channel, and triage classifies it."""

    customer_id: int
    channel: ChannelLit | None = Field(
        None, description="Required for staff; customers must omit it (their channel is `portal`)."
    )
    problem_type: ProblemLit
    subject: Text = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=20000)
    received_at: ReceivedTime = Field(None, description="Staff only; customers must omit it (422).")
    priority: PriorityLit = Field("normal", description="Staff only; customers must omit it (422).")
    complexity: ComplexityLit = Field("general", description="Staff only; customers must omit it (422).")
    complaint_severity: Literal["general", "major", ""] = Field(
        "", description="Staff only; customers must omit it (422)."
    )
    category_id: int | None = None
    product_code: Text | None = Field(None, max_length=40)
    order_number: Text = Field("", max_length=40)
    region: Text = Field("", max_length=60)


class ClockOut(Schema):
    kind: str
    cycle: int
    target: str
    calendar: str
    state: str
    started_at: datetime
    due_at: datetime
    original_due_at: datetime
    renegotiated: bool
    stopped_at: datetime | None
    seconds_left: int | None


class TicketListOut(Schema):
    number: str
    subject: str
    status: str
    channel: str
    problem_type: str
    priority: str
    complexity: str
    customer_id: int
    customer_name: str
    team: str | None
    assignee: str | None
    received_at: datetime
    updated_at: datetime


class TicketOut(TicketListOut):
    description: str
    region: str
    order_number: str
    product: str | None
    category: str | None
    first_contact_owner: str | None
    solution_stage: str
    complaint_severity: str
    policy_version: str | None
    clocks: list[ClockOut]


class TicketPage(Schema):
    items: list[TicketListOut]
    next_cursor: int | None


class TransitionIn(Schema):
    action: Literal[
        "triage",
        "assign",
        "acknowledge",
        "start",
        "wait_customer",
        "resolve",
        "close",
        "reopen",
        "cancel",
        "merge",
        "offer_options",
        "choose_option",
    ]
    problem_type: ProblemLit | None = None
    complexity: ComplexityLit | None = None
    priority: PriorityLit | None = None
    complaint_severity: Literal["general", "major"] | None = None
    team_code: Text | None = Field(None, max_length=40)
    assignee: Text | None = Field(None, max_length=150)
    reason: Text = Field("", max_length=2000)
    requirement: Text = Field("", max_length=2000)
    expected_response_minutes: int | None = Field(None, ge=0, le=100000)
    verification_method: Literal["remote_demo", "onsite_check", "customer_confirmation"] | None = None
    close_reason: Literal["customer_confirmed", "handler_confirmed", "answered"] = "customer_confirmed"
    evidence: Text = Field("", max_length=2000)
    # close as "customer_confirmed" by a handler: when the customer confirmed by phone (CLS-1)
    confirmed_at: datetime | None = None
    into: Text | None = Field(None, max_length=32)
    options: list[dict] = Field(default_factory=list, max_length=3)
    position: int | None = Field(None, ge=1, le=3)


class InteractionIn(Schema):
    body: Text = Field(min_length=1, max_length=20000)
    kind: Literal[
        "phone_call", "email", "chat", "web_form", "wechat", "sms", "onsite_visit", "internal_note"
    ] = "internal_note"
    direction: Literal["inbound", "outbound", "internal"] = "internal"
    occurred_at: PastTime = None


class InteractionOut(Schema):
    id: int
    kind: str
    direction: str
    channel: str
    author: str | None
    body: str
    is_public: bool
    occurred_at: datetime


class ComplianceRow(Schema):
    kind: str
    total: int
    met_on_time: int
    met_after_renegotiation: int
    breached: int
    running: int
    met_original_rate: float | None
    met_renegotiated_rate: float | None


# --- errors -------------------------------------------------------------------------------------


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    """Every 4xx answer of the API: a stable `code`, a message in the request's language (zh-Hans by
    default) and one entry per refused field."""

    code: str
    message: str
    errors: list[FieldErrorOut]


# --- one input schema per ticket action (issue #21) --------------------------------------------

Reason = Annotated[str, AfterValidator(_no_nul), Field(min_length=1, max_length=1000)]
OptionalReason = Annotated[str, AfterValidator(_no_nul), Field(max_length=2000)]


class EmptyIn(Schema):
    """No input: the action needs nothing but the ticket."""


class TriageIn(Schema):
    """INT-5: classify (stops the triage clock). With `team_code` or `assignee` the ticket is also
    routed, exactly as the ticket page's triage panel does (HND-2); without, it waits in triage."""

    problem_type: ProblemLit | None = None
    category_id: int | None = None
    complexity: ComplexityLit | None = None
    priority: PriorityLit | None = None
    complaint_severity: Literal["general", "major"] | None = None
    team_code: Text | None = Field(None, max_length=40)
    assignee: Text | None = Field(None, max_length=150, description="username of a staff member")
    reason: OptionalReason = ""
    requirement: OptionalReason = ""
    expected_response_minutes: int | None = Field(None, ge=0, le=100000)


class AssignIn(Schema):
    """HND-2: assign to a person and/or a team, with the handling requirement."""

    assignee: Text | None = Field(None, max_length=150, description="username; omit for the team queue")
    team_code: Text | None = Field(None, max_length=40)
    reason: OptionalReason = ""
    requirement: OptionalReason = ""
    expected_response_minutes: int | None = Field(None, ge=0, le=100000)


class TransferIn(AssignIn):
    """HND-2: transfer to another person or team; the reason is required (as on the page)."""

    reason: Reason


class OptionIn(Schema):
    """HND-3: one solution option, with the four checks the regulation requires."""

    summary: Text = Field(min_length=1, max_length=200)
    pros: Text = Field("", max_length=2000)
    cons: Text = Field("", max_length=2000)
    steps: Text = Field("", max_length=4000)
    time_needed: Text = Field("", max_length=60)
    extra_cost: Text = Field("", max_length=60)
    check_accuracy: bool = False
    check_feasibility: bool = False
    check_acceptance: bool = False
    check_safety: bool = False


class OptionsIn(Schema):
    options: list[OptionIn] = Field(min_length=1, max_length=3)


class ChooseIn(Schema):
    position: int = Field(ge=1, le=3)
    via: Literal["phone", "email", "portal"] = Field(
        "phone", description="staff only: how the customer told us"
    )


class ReasonIn(Schema):
    reason: Reason


class RenegotiateIn(Schema):
    """HND-5: before a clock's due time, agree a new one with the customer and record why."""

    clock: Text = Field(min_length=1, max_length=30, description="the clock's kind, e.g. `resolution`")
    new_due_at: datetime
    reason: Reason

    @field_validator("new_due_at")
    @classmethod
    def _bounded(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = timezone.make_aware(value)
        if not EARLIEST <= value <= timezone.now() + timedelta(days=3660):
            raise PydanticCustomError("time_out_of_range", _("This time is out of range."))
        return value


class ResolveIn(Schema):
    verification_method: Literal["remote_demo", "onsite_check", "customer_confirmation"]
    summary: Text = Field("", max_length=20000)


class CloseIn(Schema):
    """Staff close with a reason (handler_confirmed needs evidence); a customer's close is the
    confirmation of the resolution (CLS-1) and sends nothing."""

    reason: Literal["customer_confirmed", "handler_confirmed", "answered"] = "customer_confirmed"
    evidence: Text = Field("", max_length=2000)
    # a handler closing as "customer_confirmed": when the customer confirmed by phone (CLS-1)
    confirmed_at: datetime | None = None


class ReopenIn(Schema):
    reason: Reason


class MergeIn(Schema):
    into: Text = Field(min_length=1, max_length=32, description="number of the ticket to merge into")


class ActionsOut(Schema):
    """The actions the token's user may take on the ticket now (tickets.actions, as the page)."""

    number: str
    status: str
    actions: list[str]


# --- API tokens --------------------------------------------------------------------------------

ScopeLit = Literal["read", "write", "admin"]


class TokenIn(Schema):
    name: Text = Field("", max_length=80)
    scopes: list[ScopeLit] = Field(default=["read", "write"], min_length=1, max_length=3)
    expires_in_days: int | None = Field(90, ge=1, le=3650, description="null: never expires")
    username: Text | None = Field(
        None, max_length=150, description="administrators (admin scope) only: create for this user"
    )


class TokenOut(Schema):
    id: int
    username: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="shown once; only its SHA-256 is stored")


class OnsiteVisitIn(Schema):
    """CLS-3: an on-site visit with every element of a complete record."""

    content: Text = Field(min_length=1, max_length=20000)
    started_at: datetime
    ended_at: datetime
    place: Text = Field(min_length=1, max_length=200)
    staff: Text = Field("", max_length=200)
    customer_confirmation: Text = Field(min_length=1, max_length=1000)


class AnswerIn(Schema):
    """S1 §三(一)3: a common question answered directly and closed at once."""

    body: Text = Field(min_length=1, max_length=20000)


class FollowUpIn(Schema):
    """CLS-2: the satisfaction follow-up (满意度回访); a score ≤ 2 or not fully solved queues a review."""

    method: Literal["phone", "email", "sms", "link"]
    fully_solved: bool
    score: int = Field(ge=1, le=5)
    comments: Text = Field("", max_length=4000)
