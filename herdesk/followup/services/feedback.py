"""Customer feedback outside the follow-up call (QA-2): the public suggestion box and the rating
after service."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks.models import Clock
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.customers.models import Customer
from herdesk.customers.selectors import customer_search
from herdesk.customers.services import customer_create
from herdesk.notifications.customer_notices import preference_for
from herdesk.tickets import services as ts
from herdesk.tickets.choices import ProblemType, Status
from herdesk.tickets.models import Ticket
from herdesk.triage.services import triage_ticket_received

from ..choices import (
    ACTIVE_TASK_STATES,
    TaskState,
)
from ..models import FollowUpTask
from ._common import Actor, SurveyLinkError, _comments, _lock_task, task_move
from .reviews import _answer
from .tasks import task_create_for_clock

# --- the suggestion box (QA-2: external supervision) ----------------------------------------------

ANONYMOUS_NAME = "匿名建议人"
MAX_SUGGESTION = 2000
SUGGESTIONS_PER_HOUR = 5


def _anonymous_customer() -> Any:

    found = Customer.objects.filter(name=ANONYMOUS_NAME, organisation__isnull=True).order_by("pk").first()
    return found or customer_create(name=ANONYMOUS_NAME)


def _known_customer(*, phone: str, email: str) -> Any:
    """The existing customer a named suggestion comes from: the oldest one with this phone number,
    else with this email (exact match through the contacts' blind indexes: nothing is decrypted), so
    the suggestion lands in their history instead of on a duplicate customer. None when unknown."""
    for field, value in (("phone", phone), ("email", email)):
        if not value:
            continue
        try:
            found = customer_search(user=None, **{field: value}).order_by("pk").first()
        except (ValidationError, ValueError):  # not a valid number or address: nobody to match
            found = None
        if found is not None:
            return found
    return None


@transaction.atomic
def suggestion_submit(
    *,
    text: str,
    name: str = "",
    phone: str = "",
    email: str = "",
    anonymous: bool = True,
    client_key: str = "",
    now: datetime | None = None,
) -> Ticket:
    """A suggestion from the public box becomes a suggestion ticket (channel portal), routed like
    every new ticket (the intake team's queue, the triage suggestion). Anonymous unless the person
    leaves a name and a phone or email to be answered on. At most 5 per client and hour."""
    from django.core.cache import cache

    now = now or timezone.now()
    text = (text or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = _("Write your suggestion.")
    elif len(text) > MAX_SUGGESTION:
        errors["text"] = _("At most %(n)d characters (got %(got)d).") % {
            "n": MAX_SUGGESTION,
            "got": len(text),
        }
    if not anonymous and not (name.strip() and (phone.strip() or email.strip())):
        errors["name"] = _("Leave your name and a phone number or email, or send it anonymously.")
    if errors:
        raise ValidationError(errors)
    key = f"followup:suggest:{hashlib.sha256(client_key.encode()).hexdigest()[:32]}"
    if client_key:
        count = int(cache.get_or_set(key, 0, 3600) or 0)
        if count >= SUGGESTIONS_PER_HOUR:
            raise DomainError(
                _("Too many suggestions from here; please try again later."), code="rate_limited"
            )
        cache.set(key, count + 1, 3600)
    if anonymous:
        customer = _anonymous_customer()
    else:
        customer = _known_customer(phone=phone.strip(), email=email.strip())
        matched = customer is not None
        if customer is None:
            try:
                customer = customer_create(name=name.strip()[:120], phone=phone.strip(), email=email.strip())
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages})
    first_line = text.splitlines()[0][:60]
    ticket = ts.ticket_create(
        actor=None,
        customer=customer,
        channel="portal",
        problem_type=ProblemType.SUGGESTION,
        subject=_("Suggestion: %(text)s") % {"text": first_line},
        description=text,
        now=now,
    )
    triage_ticket_received(ticket=ticket)
    audit_record(
        actor=None,
        action="followup.suggestion",
        object_type="ticket",
        object_id=ticket.number,
        data={"anonymous": anonymous, **({} if anonymous else {"known_customer": matched})},
    )
    return ticket


# --- rating after service (QA-2): the customer rates a resolved ticket on the portal ---------------


@transaction.atomic
def service_rating_record(
    *,
    ticket: Ticket,
    actor: Actor,
    score: Any,
    fully_solved: bool,
    comment: str = "",
    at: datetime | None = None,
) -> Any:
    """The customer rates the service of their resolved or closed ticket (portal). It is the
    follow-up's answer: the task (made now if the job has not run yet) is completed, the clock
    stops, a low score opens the review. A ticket already rated is refused. Returns the FollowUp."""
    at = at or timezone.now()
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TransitionNotAllowed(_("A request is rated once it is resolved."))
    clock = Clock.objects.filter(ticket=ticket, kind="follow_up").order_by("-cycle").first()
    task = FollowUpTask.objects.filter(clock=clock).first() if clock is not None else None
    if task is None and clock is not None:
        task = task_create_for_clock(clock=clock, at=at)
    comments = _comments("", "", comment or "")
    if task is not None and task.state in (*ACTIVE_TASK_STATES, TaskState.UNREACHABLE):
        task = _lock_task(task)
        if task.state == TaskState.OPEN:
            task_move(task=task, to=TaskState.ATTEMPTING, actor=actor, at=at)
        _answer(
            task, actor=actor, method="link", fully_solved=fully_solved, score=score, comments=comments, at=at
        )
        return task.follow_up
    if ticket.follow_ups.exists():
        raise TransitionNotAllowed(_("You have already rated this request. Thank you!"))
    # Excluded by the anti-fatigue rules, or no follow-up clock: the rating is kept all the same.
    return ts.follow_up_record(
        ticket=ticket,
        actor=actor,
        method="link",
        fully_solved=fully_solved,
        score=score,
        comments=comments,
        at=at,
    )


# --- the rating link in the resolution notice (QA-2) ------------------------------------------------

RATING_SALT = "herdesk.followup.rating"


def rating_link_make(*, ticket: Ticket, base_url: str | None = None) -> str:
    """The signed rating link put into the resolution notice (registered with
    `notifications.registry.rating_link_register`). Nothing is stored: the token names the ticket
    and its resolution cycle (`reopen_count`) and expires with the survey links' validity; a ticket
    is rated once (`service_rating_record`), so the link is single-use. "" for a customer who opted
    out of non-essential notices (anti-fatigue)."""
    pref = preference_for(ticket.customer_id)
    if pref is not None and pref.opt_out_non_essential:
        return ""
    token = signing.dumps({"t": ticket.pk, "c": ticket.reopen_count}, salt=RATING_SALT)
    base = (base_url if base_url is not None else getattr(settings, "HERDESK_PUBLIC_URL", "")).rstrip("/")
    return base + reverse("followup:rating", args=[token])


def rating_link_get(*, token: str) -> Ticket:
    """The ticket a rating link rates, or SurveyLinkError: tampered (400); expired, reopened since,
    or already rated (410), each with a clear message."""
    try:
        data = signing.loads(
            (token or "").strip()[:300],
            salt=RATING_SALT,
            max_age=timedelta(days=int(getattr(settings, "HERDESK_FOLLOWUP_SURVEY_TTL_DAYS", 7))),
        )
    except signing.SignatureExpired:
        raise SurveyLinkError(_("This survey link has expired."), code="link_expired", status=410)
    except signing.BadSignature:
        raise SurveyLinkError(
            _("This survey link is not valid. Please check that you opened the whole link.")
        )
    pk = data.get("t") if isinstance(data, dict) else None
    ticket = Ticket.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if ticket is None:
        raise SurveyLinkError(
            _("This survey link is not valid. Please check that you opened the whole link.")
        )
    if ticket.reopen_count != data.get("c") or ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise SurveyLinkError(_("This survey is no longer open. Thank you!"), code="link_used", status=410)
    if ticket.follow_ups.exists():
        raise SurveyLinkError(
            _("This survey has already been answered. Thank you!"), code="link_used", status=410
        )
    return ticket


@transaction.atomic
def rating_answer(
    *, token: str, score: Any, fully_solved: Any, comment: str = "", now: datetime | None = None
) -> Any:
    """The customer's answer through the rating link (no sign-in: the signed link is the authority):
    the follow-up's answer, as on the portal (`service_rating_record`). A refused answer leaves the
    link usable."""
    ticket = rating_link_get(token=token)
    if fully_solved not in (True, False):
        raise ValidationError({"fully_solved": _("Tell us whether the problem is fully solved.")})
    try:
        return service_rating_record(
            ticket=ticket, actor=None, score=score, fully_solved=fully_solved, comment=comment, at=now
        )
    except TransitionNotAllowed:
        raise SurveyLinkError(
            _("This survey has already been answered. Thank you!"), code="link_used", status=410
        )
