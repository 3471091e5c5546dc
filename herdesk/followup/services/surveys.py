"""Survey links: signed (own salt), single-use, expiring; sent on the customer's channel through
the outbox; answered without sign-in (the link is the authority)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications.customer_notices import notice_route
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.tickets import services as ts
from herdesk.tickets.choices import Direction, InteractionKind

from ..choices import (
    ACTIVE_TASK_STATES,
    AttemptMethod,
    AttemptOutcome,
    TaskState,
    task_can,
)
from ..models import FollowUpTask, SurveyLink
from ._common import (
    SURVEY_SALT,
    Actor,
    Rule,
    SurveyLinkError,
    _attempt,
    _comments,
    _lock_task,
    rule_for,
    task_move,
)
from .reviews import _answer

# --- survey links ----------------------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=SURVEY_SALT)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def survey_link_digest(token: str) -> str:
    try:
        secret = _signer().unsign((token or "").strip()[:200])
    except signing.BadSignature:
        raise SurveyLinkError(
            _("This survey link is not valid. Please check that you opened the whole link.")
        )
    return token_hash(secret)


def survey_link_check(row: SurveyLink | None, *, now: datetime) -> SurveyLink:
    if row is None:
        raise SurveyLinkError(
            _("This survey link is not valid. Please check that you opened the whole link.")
        )
    if row.used_at is not None:
        raise SurveyLinkError(
            _("This survey has already been answered. Thank you!"), code="link_used", status=410
        )
    if now >= row.expires_at:
        raise SurveyLinkError(_("This survey link has expired."), code="link_expired", status=410)
    if row.task.state not in (*ACTIVE_TASK_STATES, TaskState.UNREACHABLE):
        raise SurveyLinkError(_("This survey is no longer open. Thank you!"), code="link_used", status=410)
    return row


def _survey_route(task: FollowUpTask, rule: Rule) -> Any:

    others = tuple(c for c in ("email", "sms", "wechat") if c not in rule.survey_channels)
    return notice_route(ticket=task.ticket, kind="survey", exclude=others)


def _survey_send(
    task: FollowUpTask, *, actor: Actor, rule: Rule, at: datetime, base_url: str | None
) -> SurveyLink | None:
    """Make a link and queue it on the customer's channel (outbox); None when there is no channel."""
    route = _survey_route(task, rule)
    if route.via not in ("sms", "wechat", "email"):
        _attempt(
            task,
            actor=actor,
            method=AttemptMethod.SMS,
            outcome=AttemptOutcome.LINK_NOT_SENT,
            note=route.reason,
            at=at,
        )
        return None
    secret = secrets.token_urlsafe(32)
    link = SurveyLink.objects.create(
        task=task,
        token_hash=token_hash(secret),
        channel=route.via,
        created_at=at,
        expires_at=at + timedelta(days=rule.survey_ttl_days),
    )
    base = (base_url if base_url is not None else getattr(settings, "HERDESK_PUBLIC_URL", "")).rstrip("/")
    url = base + reverse("followup:survey", args=[_signer().sign(secret)])
    ticket = task.ticket

    def build(with_link: str) -> str:
        text = _(
            "Your request %(number)s was resolved. How did we do? Please rate our service (1 minute): %(url)s"
        ) % {"number": ticket.number, "url": with_link}
        return str(text)

    with translation.override(settings.LANGUAGE_CODE):
        text = build(url)
        subject = str(_("How did we do? Your request %(number)s") % {"number": ticket.number})
        body = build(_("(survey link)"))
    kind = {"sms": InteractionKind.SMS, "wechat": InteractionKind.WECHAT}.get(
        route.via, InteractionKind.EMAIL
    )
    entry = ts.interaction_add(
        ticket=ticket,
        actor=None,
        body=body,
        kind=kind,
        direction=Direction.OUTBOUND,
        channel=ticket.channel,
        is_public=True,
        is_automatic=True,
        occurred_at=at,
        data={
            "customer_notice": {"kind": "survey", "via": route.via},
            "delivery": {"status": "queued", "at": at.isoformat()},
        },
        savepoint=False,
    )
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"survey:{link.pk}",
                "channel": route.via,
                "recipient": route.recipient,
                "template": "survey",
                "ticket_id": ticket.pk,
                "payload": {
                    "text": text,
                    "subject": subject,
                    "interaction": entry.pk,
                    "ticket": ticket.number,
                },
            }
        ]
    )
    method = {"sms": AttemptMethod.SMS, "wechat": AttemptMethod.WECHAT}.get(route.via, AttemptMethod.EMAIL)
    _attempt(task, actor=actor, method=method, outcome=AttemptOutcome.LINK_SENT, note="", at=at)
    audit_record(
        actor=actor,
        action="followup.survey_sent",
        object_type="ticket",
        object_id=ticket.number,
        data={"task": task.pk, "link": link.pk, "via": route.via, "expires_at": link.expires_at.isoformat()},
    )
    return link


@transaction.atomic
def survey_send(
    *, task: FollowUpTask, actor: Actor, at: datetime | None = None, base_url: str | None = None
) -> SurveyLink:
    """The agent sends the survey link now (instead of, or after, calling)."""
    at = at or timezone.now()
    task = _lock_task(task)
    if task.state not in ACTIVE_TASK_STATES:
        raise TransitionNotAllowed(_("This follow-up is already finished."))
    if not task_can(task.state, TaskState.SURVEY_SENT):
        task_move(task=task, to=TaskState.ATTEMPTING, actor=actor, at=at)
    link = _survey_send(task, actor=actor, rule=rule_for(task.ticket), at=at, base_url=base_url)
    if link is None:
        raise DomainError(
            _("The customer has no phone, WeChat or email to send the survey to."), code="invalid"
        )
    task_move(task=task, to=TaskState.SURVEY_SENT, actor=actor, at=at)
    return link


def survey_link_get(*, token: str, now: datetime | None = None) -> SurveyLink:
    row = (
        SurveyLink.objects.select_related("task", "task__ticket")
        .filter(token_hash=survey_link_digest(token))
        .first()
    )
    return survey_link_check(row, now=now or timezone.now())


@transaction.atomic
def survey_answer(
    *, token: str, score: Any, fully_solved: Any, comment: str = "", now: datetime | None = None
) -> FollowUpTask:
    """The customer answers the survey (no sign-in: the signed single-use link is the authority).
    A refused answer rolls back and leaves the link usable."""
    now = now or timezone.now()
    digest = survey_link_digest(token)
    row = SurveyLink.objects.select_for_update().filter(token_hash=digest).first()
    row = survey_link_check(row, now=now)
    errors = {}
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        errors["score"] = _("Choose a score from 1 to 5.")
    if fully_solved not in (True, False):
        errors["fully_solved"] = _("Tell us whether the problem is fully solved.")
    if errors:
        raise ValidationError(errors)
    row.used_at = now
    row.save(update_fields=["used_at"])
    task = _lock_task(row.task)
    if task.state == TaskState.OPEN:  # a link from an older attempt row order: move through attempting
        task_move(task=task, to=TaskState.ATTEMPTING, actor=None, at=now)
    method = {"sms": "sms", "email": "email"}.get(row.channel, "link")
    audit_record(
        actor=None,
        action="followup.survey_answered",
        object_type="ticket",
        object_id=task.ticket.number,
        data={"task": task.pk, "link": row.pk, "score": score, "fully_solved": fully_solved},
    )
    return _answer(
        task,
        actor=None,
        method=method,
        fully_solved=bool(fully_solved),
        score=score,
        comments=_comments("", "", comment or ""),
        at=now,
    )
