"""Every write of the emergencies app (EMG-1, EMG-2): plans, incidents and drills, their lifecycle,
linked tickets, updates posted to every linked ticket, and the mass notification of customers.

Conventions as everywhere: keyword-only arguments, `actor=`, one transaction per service (the long
bulk operations commit per chunk so an interrupted run resumes), each change audited, refusals as
DomainError / ValidationError with a bilingual message. Customer messages go through the outbox only.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_deferred, audit_record
from herdesk.common.errors import DomainError
from herdesk.customers.models import Contact
from herdesk.mail.services import email_reply_send
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.notifications.staff_notices import notify
from herdesk.search.services import search_index_deferred
from herdesk.sms.services import sms_progress_send
from herdesk.staff.models import User
from herdesk.tickets import services as ts
from herdesk.tickets.choices import Direction, InteractionKind, Status, VerificationMethod
from herdesk.tickets.models import Ticket
from herdesk.wechat.services import wechat_reply_send

from . import lifecycle
from .choices import (
    ROMAN,
    Audience,
    IncidentStatus,
    MessageChannel,
    RecipientStatus,
    UpdateKind,
)
from .models import (
    ContingencyPlan,
    Incident,
    IncidentRecipient,
    IncidentResponder,
    IncidentTask,
    IncidentTicket,
    IncidentTransition,
    IncidentUpdate,
    MessageTemplate,
    PlanStep,
)
from .seed import HOTLINE, plans_seed

log = logging.getLogger(__name__)

BANNER_CACHE_KEY = "emergency:banner:v1"
CHUNK = 1000  # customers per transaction of a mass notification
UPDATE_CHUNK = 100  # linked tickets per transaction of an update
MAX_LINK = 10_000  # tickets linked from one search
PLACEHOLDERS = frozenset({"incident", "title", "product", "batch", "region", "hotline", "level"})


# --- plans ---------------------------------------------------------------------------------------


def plans_ensure() -> int:
    """The seeded plans (seed 001 §7) that are missing, e.g. after a test flushed the tables; plans
    already there, edited or not, are left alone. Returns how many were created."""

    with transaction.atomic():
        return plans_seed()


def _check_template_text(text: str, field: str) -> None:
    try:
        names = {n for _lit, n, _spec, _conv in string.Formatter().parse(text) if n is not None}
    except ValueError:
        raise ValidationError({field: _("Unbalanced braces: write placeholders as {title}.")})
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValidationError(
            {
                field: _("Unknown placeholder(s): %(names)s. Allowed: %(allowed)s.")
                % {"names": ", ".join(sorted(unknown)), "allowed": ", ".join(sorted(PLACEHOLDERS))}
            }
        )


@transaction.atomic
def plan_update(
    *,
    plan: ContingencyPlan,
    actor: Any,
    name: str,
    description: str,
    is_active: bool,
    steps: list[tuple[str, str, int]],
) -> ContingencyPlan:
    """Edit a plan: its name, description and checklist (text, owner, from level). Bumps the version."""
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("This field is required.")
    clean = [(t.strip()[:300], o.strip()[:80], int(lv)) for t, o, lv in steps if t.strip()]
    if not clean:
        errors["steps"] = _("A plan needs at least one step.")
    if any(lv not in ROMAN for _t, _o, lv in clean):
        errors["steps"] = _("A step's level must be 1 (I) to 4 (IV).")
    if errors:
        raise ValidationError(errors)
    plan = ContingencyPlan.objects.select_for_update().get(pk=plan.pk)
    plan.name, plan.description, plan.is_active = name[:120], description.strip(), is_active
    plan.version += 1
    plan.updated_by = actor
    plan.save()
    plan.steps.all().delete()
    PlanStep.objects.bulk_create(
        [PlanStep(plan=plan, order=i, text=t, owner=o, max_level=lv) for i, (t, o, lv) in enumerate(clean)]
    )
    audit_record(
        actor=actor,
        action="emergency.plan_update",
        object_type="contingency_plan",
        object_id=plan.code,
        data={"version": plan.version, "steps": len(clean), "active": is_active},
    )
    return plan


@transaction.atomic
def template_update(*, template: MessageTemplate, actor: Any, subject: str, body: str) -> MessageTemplate:
    """Edit a pre-approved message; saving it is its approval by the editor (a supervisor or admin)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("This field is required.")})
    _check_template_text(body, "body")
    _check_template_text(subject or "", "subject")
    template.subject, template.body = (subject or "").strip()[:200], body
    template.approved_at, template.approved_by = timezone.now(), actor
    template.save()
    audit_record(
        actor=actor,
        action="emergency.template_update",
        object_type="contingency_plan",
        object_id=template.plan.code,
        data={"audience": template.audience, "channel": template.channel},
    )
    return template


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def render(text: str, incident: Incident) -> str:
    """A template's text for this incident (unknown or empty placeholders become "")."""
    values = _Blank(
        incident=incident.number,
        title=incident.title,
        product=incident.product.name if incident.product is not None else "",
        batch=incident.batch or "-",
        region=incident.region,
        hotline=HOTLINE,
        level=ROMAN.get(incident.level, ""),
    )
    try:
        return string.Formatter().vformat(text, (), values)
    except (ValueError, IndexError, KeyError):
        return text


def template_for(incident: Incident, audience: str, channel: str) -> MessageTemplate | None:
    return MessageTemplate.objects.filter(
        plan_id=incident.plan_id, audience=audience, channel=channel
    ).first()


# --- incidents -----------------------------------------------------------------------------------


def _banner_changed() -> None:
    # Now (this process sees its own change) and after commit (another request may have cached
    # the old state in between).
    cache.delete(BANNER_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(BANNER_CACHE_KEY))


def _next_number(prefix: str, at: datetime) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    stem = f"{prefix}-{day}-"
    n = Incident.objects.filter(number__startswith=stem).count() + 1
    return f"{stem}{n:03d}"


def incident_declare(
    *,
    plan: ContingencyPlan,
    level: int,
    actor: Any,
    title: str = "",
    detected_at: datetime | None = None,
    is_drill: bool = False,
    scheduled_for: datetime | None = None,
    product: Any = None,
    batch: str = "",
    region: str = "",
) -> Incident:
    """Declare an incident from a plan and a level (接收事件), or schedule a drill (`is_drill` with
    `scheduled_for`: status "scheduled" until the drill starts). Retries the number on a collision."""
    if level not in ROMAN:
        raise ValidationError({"level": _("Choose a response level from I to IV.")})
    if not plan.is_active:
        raise DomainError(_("This plan is not active."), code="invalid")
    now = timezone.now()
    if detected_at is not None and detected_at > now + timedelta(minutes=5):
        raise ValidationError({"detected_at": _("The event cannot be detected in the future.")})
    scheduled = bool(is_drill and scheduled_for is not None and scheduled_for > now)
    if not title.strip():
        kind = _("Drill") if is_drill else _("Incident")
        title = f"{plan.name} · {kind} {timezone.localtime(scheduled_for if scheduled else now):%m-%d %H:%M}"
    for attempt in range(5):
        try:
            with transaction.atomic():
                incident = Incident.objects.create(
                    number=_next_number("DRL" if is_drill else "EMG", now)
                    if attempt == 0
                    else f"{_next_number('DRL' if is_drill else 'EMG', now)}-{attempt}",
                    plan=plan,
                    event_type=plan.event_type,
                    level=level,
                    title=title.strip()[:200],
                    status=IncidentStatus.SCHEDULED if scheduled else IncidentStatus.DECLARED,
                    is_drill=is_drill,
                    scheduled_for=scheduled_for,
                    detected_at=(scheduled_for if scheduled and scheduled_for else (detected_at or now)),
                    declared_at=None if scheduled else now,
                    declared_by=None if scheduled else actor,
                    product=product,
                    batch=(batch or "").strip()[:60],
                    region=(region or "").strip()[:60],
                )
                IncidentTransition.objects.create(
                    incident=incident, from_status="", to_status=incident.status, at=now, actor=actor
                )
                audit_record(
                    actor=actor,
                    action="emergency.drill_schedule" if scheduled else "emergency.incident_declare",
                    object_type="incident",
                    object_id=incident.number,
                    data={"plan": plan.code, "level": level, "drill": is_drill},
                )
                if not is_drill:
                    _banner_changed()
                return incident
        except IntegrityError:
            continue
    raise DomainError(_("Could not number the incident; try again."))


@transaction.atomic
def incident_transition(*, incident: Incident, to: str, actor: Any, note: str = "") -> Incident:
    """The one place an incident changes status: checks the table and the guards, stamps the time,
    writes the history and the audit entry, and activates the plan on entering "activated"."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not lifecycle.can_transition(incident.status, to):
        raise DomainError(
            _("An incident cannot go from %(a)s to %(b)s.")
            % {"a": IncidentStatus(incident.status).label, "b": IncidentStatus(to).label},
            code="transition_not_allowed",
        )
    guard = lifecycle.GUARDS.get(to)
    if guard and not (getattr(incident, guard) or "").strip():
        message = {
            "risk_assessment": _("Assess the risk first (the risk assessment is empty)."),
            "review_summary": _("A post-incident review is required before closing."),
        }[guard]
        raise DomainError(message, code="transition_not_allowed")
    now = timezone.now()
    before = incident.status
    incident.status = to
    fields = ["status"]
    stamp = lifecycle.STAMPS.get(to)
    if stamp and getattr(incident, stamp) is None:
        setattr(incident, stamp, now)
        fields.append(stamp)
    if to == IncidentStatus.DECLARED and incident.declared_at is None:
        incident.declared_at, incident.declared_by = now, actor
        if incident.detected_at > now:
            incident.detected_at = now
        fields += ["declared_at", "declared_by", "detected_at"]
    incident.save(update_fields=fields)
    IncidentTransition.objects.create(
        incident=incident, from_status=before, to_status=to, at=now, actor=actor, note=note[:300]
    )
    if to == IncidentStatus.ACTIVATED:
        _activate(incident, actor, now)
    audit_record(
        actor=actor,
        action="emergency.incident_transition",
        object_type="incident",
        object_id=incident.number,
        data={"from": before, "to": to, "note": note[:300]},
    )
    if not incident.is_drill:
        _banner_changed()
    return incident


def _responders(incident: Incident) -> list[tuple[int, str]]:
    """(user id, duty) for every responsibility of the plan that applies at this level."""
    out: list[tuple[int, str]] = []
    for r in incident.plan.responsibilities.filter(max_level__gte=incident.level):
        users = User.objects.filter(is_active=True, customer__isnull=True)
        if r.role:
            users = users.filter(groups__name=r.role)
        if r.team_code:
            users = users.filter(team__code=r.team_code)
        if not r.role and not r.team_code:
            continue
        out += [(pk, r.title) for pk in users.values_list("pk", flat=True).distinct()]
    return out


def _activate(incident: Incident, actor: Any, now: datetime) -> None:
    """启动预案: the checklist and the responders of this level, each responder notified (in-app);
    management is told with the management template."""
    steps = incident.plan.steps.filter(max_level__gte=incident.level)
    IncidentTask.objects.bulk_create(
        [IncidentTask(incident=incident, order=s.order, text=s.text, owner=s.owner) for s in steps]
    )
    pairs = _responders(incident)
    IncidentResponder.objects.bulk_create(
        [IncidentResponder(incident=incident, user_id=u, duty=d, notified_at=now) for u, d in pairs],
        ignore_conflicts=True,
    )
    drill = _("[DRILL] ") if incident.is_drill else ""
    staff_tpl = template_for(incident, Audience.STAFF, MessageChannel.EMAIL)
    text = render(staff_tpl.body if staff_tpl else "{incident} {title}", incident)
    notify(
        users=[u for u, _d in pairs],
        kind=NotificationKind.OTHER,
        data={"text": f"{drill}{text}"[:300], "incident": incident.number, "drill": incident.is_drill},
        key=f"emg:{incident.pk}:activated",
    )
    mgmt_tpl = template_for(incident, Audience.MANAGEMENT, MessageChannel.EMAIL)
    managers = User.objects.filter(is_active=True, groups__name="management").values_list("pk", flat=True)
    notify(
        users=list(managers),
        kind=NotificationKind.OTHER,
        data={
            "text": f"{drill}{render(mgmt_tpl.body if mgmt_tpl else '{incident} {title}', incident)}"[:300],
            "incident": incident.number,
            "drill": incident.is_drill,
        },
        key=f"emg:{incident.pk}:management",
    )


@transaction.atomic
def incident_assess(
    *, incident: Incident, actor: Any, risk_assessment: str, level: int | None = None
) -> Incident:
    """评估风险: the assessment (and, if it changed, the level), then "assessed"."""
    text = (risk_assessment or "").strip()
    if not text:
        raise ValidationError({"risk_assessment": _("This field is required.")})
    if level is not None and level not in ROMAN:
        raise ValidationError({"level": _("Choose a response level from I to IV.")})
    Incident.objects.filter(pk=incident.pk).update(
        risk_assessment=text[:5000], **({"level": level} if level else {})
    )
    incident.refresh_from_db()
    return incident_transition(
        incident=incident,
        to=IncidentStatus.ASSESSED,
        actor=actor,
        note=_("Level %(l)s") % {"l": incident.level_roman},
    )


@transaction.atomic
def incident_review(*, incident: Incident, actor: Any, summary: str, findings: str = "") -> Incident:
    """总结复盘: the post-incident review (required before closing), then "reviewed"."""
    text = (summary or "").strip()
    if not text:
        raise ValidationError({"review_summary": _("This field is required.")})
    Incident.objects.filter(pk=incident.pk).update(
        review_summary=text[:10000], findings=(findings or "").strip()[:10000]
    )
    incident.refresh_from_db()
    return incident_transition(incident=incident, to=IncidentStatus.REVIEWED, actor=actor)


@transaction.atomic
def incident_scope_update(
    *,
    incident: Incident,
    actor: Any,
    product: Any = None,
    batch: str = "",
    region: str = "",
    public_statement: str = "",
    findings: str | None = None,
) -> Incident:
    """The affected scope (product, batch, region), the public statement shown on the portal banner
    while the incident is active, and (drills, reviews) the findings."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        raise DomainError(_("This incident is over."), code="transition_not_allowed")
    incident.product = product
    incident.batch = (batch or "").strip()[:60]
    incident.region = (region or "").strip()[:60]
    incident.public_statement = (public_statement or "").strip()[:1000]
    fields = ["product", "batch", "region", "public_statement"]
    if findings is not None:
        incident.findings = findings.strip()[:10000]
        fields.append("findings")
    incident.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="emergency.incident_scope",
        object_type="incident",
        object_id=incident.number,
        data={"product": getattr(product, "code", ""), "batch": incident.batch, "region": incident.region},
    )
    if not incident.is_drill:
        _banner_changed()
    return incident


@transaction.atomic
def task_set_done(*, task: IncidentTask, actor: Any, done: bool) -> IncidentTask:
    task = IncidentTask.objects.select_for_update().select_related("incident").get(pk=task.pk)
    if task.incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        raise DomainError(_("This incident is over."), code="transition_not_allowed")
    task.done_at, task.done_by = (timezone.now(), actor) if done else (None, None)
    task.save(update_fields=["done_at", "done_by"])
    audit_record(
        actor=actor,
        action="emergency.task_done" if done else "emergency.task_undone",
        object_type="incident",
        object_id=task.incident.number,
        data={"task": task.pk, "text": task.text[:120]},
    )
    return task


def _open(incident: Incident) -> None:
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED, IncidentStatus.SCHEDULED):
        raise DomainError(_("Only an incident in progress can do this."), code="transition_not_allowed")


# --- linked tickets ------------------------------------------------------------------------------


def incident_link_tickets(*, incident: Incident, actor: Any, ticket_ids: Iterable[int]) -> int:
    """Link tickets in bulk (already linked ones are skipped); each ticket's timeline says so (an
    internal note through the ticket services). Commits per chunk; returns how many were new."""
    _open(incident)
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))[:MAX_LINK]
    new = 0
    for start in range(0, len(ids), UPDATE_CHUNK):
        chunk = ids[start : start + UPDATE_CHUNK]
        with transaction.atomic(), audit_deferred():
            have = set(
                IncidentTicket.objects.filter(incident=incident, ticket_id__in=chunk).values_list(
                    "ticket_id", flat=True
                )
            )
            todo = [i for i in chunk if i not in have]
            if not todo:
                continue
            now = timezone.now()
            IncidentTicket.objects.bulk_create(
                [
                    IncidentTicket(incident=incident, ticket_id=i, linked_at=now, linked_by=actor)
                    for i in todo
                ],
                ignore_conflicts=True,
            )
            note = _("Linked to incident %(n)s: %(t)s") % {"n": incident.number, "t": incident.title}
            for t in Ticket.objects.filter(pk__in=todo).order_by("pk"):
                ts.interaction_add(
                    ticket=t,
                    actor=actor,
                    body=note,
                    kind=InteractionKind.SYSTEM_EVENT,
                    direction=Direction.INTERNAL,
                    is_public=False,
                    occurred_at=now,
                    data={"incident": incident.number},
                )
            audit_record(
                actor=actor,
                action="emergency.tickets_link",
                object_type="incident",
                object_id=incident.number,
                data={"count": len(todo)},
            )
            new += len(todo)
    return new


# Channels whose reply is sent, not only recorded (the same senders as the ticket page's progress
# update); others (portal, chat, social) get a public outbound entry: the portal shows it.
REPLY_SENDERS: dict[str, Callable[..., Any]] = {
    "email": email_reply_send,
    "email_other": email_reply_send,
    "wechat": lambda *, at, **kw: wechat_reply_send(now=at, **kw),
    "phone": sms_progress_send,
}
_NO_REPLY = frozenset({Status.CANCELLED, Status.MERGED, Status.CLOSED})
_RESOLVABLE = frozenset({Status.TRIAGED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER})


def _reply(ticket: Ticket, actor: Any, body: str, at: datetime) -> bool:
    if ticket.status in _NO_REPLY:
        return False
    send = REPLY_SENDERS.get(ticket.channel)
    if send is not None:
        try:
            with transaction.atomic():
                send(ticket=ticket, actor=actor, body=body, at=at)
            return True
        except ValidationError:
            pass  # no address on the ticket's channel: the portal entry below
    ts.interaction_add(
        ticket=ticket,
        actor=actor,
        body=body,
        kind=InteractionKind.WEB_FORM if ticket.channel == "portal" else InteractionKind.EMAIL,
        direction=Direction.OUTBOUND,
        is_public=True,
        occurred_at=at,
    )
    return True


def _resolve(ticket: Ticket, actor: Any, body: str, at: datetime) -> bool:
    if ticket.status == Status.NEW:
        ticket = ts.ticket_triage(ticket=ticket, actor=actor, at=at)
    if ticket.status not in _RESOLVABLE:
        return False
    ts.ticket_resolve(
        ticket=ticket,
        actor=actor,
        verification_method=VerificationMethod.CUSTOMER_CONFIRMATION,
        summary=body,
        at=at,
    )
    return True


def incident_update_post(*, incident: Incident, actor: Any, kind: str, body: str) -> IncidentUpdate:
    """Post a reply or a resolution on the incident; it goes to every linked ticket (see
    `incident_update_apply`). The update row is committed first, so an interrupted run resumes."""
    _open(incident)
    body = (body or "").strip()
    if kind not in UpdateKind.values:
        raise ValidationError({"kind": _("Choose a reply or a resolution.")})
    if not body:
        raise ValidationError({"body": _("This field is required.")})
    if len(body) > ts.MAX_TEXT:
        raise ValidationError({"body": _("At most %(n)d characters.") % {"n": ts.MAX_TEXT}})
    with transaction.atomic():
        Incident.objects.select_for_update().get(pk=incident.pk)
        seq = (incident.updates.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        update = IncidentUpdate.objects.create(
            incident=incident, seq=seq, kind=kind, body=body, posted_at=timezone.now(), posted_by=actor
        )
        audit_record(
            actor=actor,
            action="emergency.update_post",
            object_type="incident",
            object_id=incident.number,
            data={"seq": seq, "kind": kind},
        )
    return incident_update_apply(update=update, actor=actor)


def incident_update_apply(*, update: IncidentUpdate, actor: Any) -> IncidentUpdate:
    """Apply an update to each linked ticket not yet given it, UPDATE_CHUNK tickets per transaction
    (each through the ticket services: timeline, clocks, customer notices, search index). A ticket
    that cannot take it (closed, cancelled, merged; a resolution of a ticket not yet acknowledged by
    its assignee) is counted as skipped. Idempotent: a link remembers the last update it got."""
    applied = skipped = 0
    act = _reply if update.kind == UpdateKind.REPLY else _resolve
    while True:
        with transaction.atomic(), audit_deferred(), search_index_deferred():
            links = list(
                IncidentTicket.objects.select_for_update()
                .filter(incident_id=update.incident_id, updates_applied__lt=update.seq)
                .order_by("id")[:UPDATE_CHUNK]
            )
            if not links:
                break
            tickets = Ticket.objects.select_related("customer", "contact").in_bulk(
                [lk.ticket_id for lk in links]
            )
            at = timezone.now()
            for link in links:
                ticket = tickets[link.ticket_id]
                try:
                    with transaction.atomic():
                        ok = act(ticket, actor, update.body, at)
                except (DomainError, ValidationError) as exc:
                    log.info("incident update %s skipped %s: %s", update.pk, ticket.number, exc)
                    ok = False
                applied, skipped = applied + ok, skipped + (not ok)
            IncidentTicket.objects.filter(pk__in=[lk.pk for lk in links]).update(updates_applied=update.seq)
    with transaction.atomic():
        IncidentUpdate.objects.filter(pk=update.pk).update(
            applied=F("applied") + applied, skipped=F("skipped") + skipped, finished_at=timezone.now()
        )
    update.refresh_from_db()
    return update


# --- mass notification ---------------------------------------------------------------------------


def _addresses(customer_ids: list[int]) -> dict[int, dict[str, str]]:
    """Each customer's outbox recipient per channel, from their contacts (primary first): email as
    contact:<id> (the address stays encrypted in the row), SMS as contact:<id>, WeChat the openid."""
    out: dict[int, dict[str, str]] = {}
    rows = (
        Contact.objects.filter(customer_id__in=customer_ids)
        .order_by("customer_id", "-is_primary", "id")
        .values_list("id", "customer_id", "email_bidx", "phone_bidx", "wechat_openid")
    )
    for pk, cid, email, phone, openid in rows:
        slot = out.setdefault(cid, {})
        if email and "email" not in slot:
            slot["email"] = f"contact:{pk}"
        if phone and "sms" not in slot:
            slot["sms"] = f"contact:{pk}"
        if openid and "wechat" not in slot:
            slot["wechat"] = openid
    return out


def dedupe_key(incident_id: int, customer_id: int, channel: str) -> str:
    return f"emg:{incident_id}:{customer_id}:{channel}"


def incident_notify_customers(
    *,
    incident: Incident,
    actor: Any,
    customer_ids: Iterable[int],
    channels: Iterable[str],
) -> dict[str, int]:
    """Tell the affected customers on each chosen channel with the plan's pre-approved customer
    template. One IncidentRecipient and (unless a drill, or no address) one outbox row per customer
    and channel, written together, CHUNK customers per transaction; the dedupe key
    emg:<incident>:<customer>:<channel> makes a second click or a re-run after a crash add nothing.
    Returns counts: queued, no_address, drill, already (rows that existed before)."""
    _open(incident)
    if incident.status not in (IncidentStatus.ACTIVATED, IncidentStatus.EXECUTING, IncidentStatus.INFORMED):
        raise DomainError(_("Activate the plan before informing customers."), code="transition_not_allowed")
    chans = [c for c in dict.fromkeys(channels) if c in MessageChannel.values]
    if not chans:
        raise ValidationError({"channels": _("Choose at least one channel.")})
    texts: dict[str, tuple[str, str]] = {}
    for c in chans:
        tpl = template_for(incident, Audience.CUSTOMERS, c)
        if tpl is None:
            raise DomainError(
                _("The plan has no approved customer message for %(c)s.") % {"c": MessageChannel(c).label},
                code="invalid",
            )
        texts[c] = (render(tpl.subject, incident) or incident.title, render(tpl.body, incident))
    ids = sorted(set(int(i) for i in customer_ids))
    counts = {"queued": 0, "no_address": 0, "drill": 0, "already": 0}
    first = None
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            now = timezone.now()
            existing = set(
                IncidentRecipient.objects.filter(incident=incident, customer_id__in=chunk).values_list(
                    "customer_id", "channel"
                )
            )
            addresses = _addresses(chunk)
            rows: list[IncidentRecipient] = []
            messages: list[dict[str, Any]] = []
            payloads = {
                c: {
                    "text": texts[c][1],
                    "subject": texts[c][0],
                    "incident": incident.number,
                    "automatic": True,
                }
                for c in chans
            }
            for cid in chunk:
                for c in chans:
                    if (cid, c) in existing:
                        counts["already"] += 1
                        continue
                    key = dedupe_key(incident.pk, cid, c)
                    to = addresses.get(cid, {}).get(c, "")
                    if incident.is_drill:
                        status = RecipientStatus.DRILL
                    elif not to:
                        status = RecipientStatus.NO_ADDRESS
                    else:
                        status = RecipientStatus.QUEUED
                        messages.append(
                            {
                                "dedupe_key": key,
                                "channel": c,
                                "recipient": to,
                                "template": "emergency",
                                "payload": payloads[c],
                            }
                        )
                    counts[str(status)] += 1
                    rows.append(
                        IncidentRecipient(
                            incident=incident,
                            customer_id=cid,
                            channel=c,
                            status=status,
                            dedupe_key=key,
                            created_at=now,
                        )
                    )
            IncidentRecipient.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
            outbox_enqueue_many(messages)
            if first is None and rows:
                first = now
    with transaction.atomic():
        inc = Incident.objects.select_for_update().get(pk=incident.pk)
        if first is not None and inc.first_notice_at is None:
            inc.first_notice_at = first
            inc.save(update_fields=["first_notice_at"])
        audit_record(
            actor=actor,
            action="emergency.customers_notify",
            object_type="incident",
            object_id=incident.number,
            data={"channels": chans, **counts},
        )
        if inc.status == IncidentStatus.EXECUTING and first is not None:
            incident_transition(
                incident=inc, to=IncidentStatus.INFORMED, actor=actor, note=_("Customers notified")
            )
    incident.refresh_from_db()
    return counts
