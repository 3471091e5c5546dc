from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

ChannelLit = Literal["phone", "email", "chat", "portal", "wechat", "social", "email_other"]
ProblemLit = Literal[
    "product_inquiry", "technical_support", "order_inquiry", "after_sales", "complaint", "suggestion"
]
PriorityLit = Literal["low", "normal", "high", "urgent"]
ComplexityLit = Literal["simple", "general", "complex"]


class CustomerIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["person", "organisation"] = "person"
    organisation_id: int | None = None
    region: str = Field("", max_length=60)
    tier: Literal["key_account", "regular"] | None = None
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    wechat_openid: str = Field("", max_length=64)
    address: str = Field("", max_length=300)


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
    customer_id: int
    channel: ChannelLit
    problem_type: ProblemLit
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    received_at: datetime | None = None
    priority: PriorityLit = "normal"
    complexity: ComplexityLit = "general"
    complaint_severity: Literal["general", "major", ""] = ""
    category_id: int | None = None
    product_code: str | None = Field(None, max_length=40)
    order_number: str = Field("", max_length=40)
    region: str = Field("", max_length=60)


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
    team_code: str | None = Field(None, max_length=40)
    assignee: str | None = Field(None, max_length=150)
    reason: str = Field("", max_length=2000)
    requirement: str = Field("", max_length=2000)
    expected_response_minutes: int | None = Field(None, ge=0, le=100000)
    verification_method: Literal["remote_demo", "onsite_check", "customer_confirmation"] | None = None
    close_reason: Literal["customer_confirmed", "handler_confirmed", "answered"] = "customer_confirmed"
    evidence: str = Field("", max_length=2000)
    # close as "customer_confirmed" by a handler: when the customer confirmed by phone (CLS-1)
    confirmed_at: datetime | None = None
    into: str | None = Field(None, max_length=32)
    options: list[dict] = Field(default_factory=list, max_length=3)
    position: int | None = Field(None, ge=1, le=3)


class InteractionIn(Schema):
    body: str = Field(min_length=1, max_length=20000)
    kind: Literal[
        "phone_call", "email", "chat", "web_form", "wechat", "sms", "onsite_visit", "internal_note"
    ] = "internal_note"
    direction: Literal["inbound", "outbound", "internal"] = "internal"
    occurred_at: datetime | None = None


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


class OnsiteVisitIn(Schema):
    """CLS-3: an on-site visit with every element of a complete record."""

    content: str = Field(min_length=1, max_length=20000)
    started_at: datetime
    ended_at: datetime
    place: str = Field(min_length=1, max_length=200)
    staff: str = Field("", max_length=200)
    customer_confirmation: str = Field(min_length=1, max_length=1000)
