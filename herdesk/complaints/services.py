"""Every write of complaints (CMP-1..5): the record of a complaint ticket, its workflow (one service,
`complaint_transition`, enforces `lifecycle.ACTIONS`), the root-cause analysis, CAPA (one service,
`capa_transition`, enforces `lifecycle.CAPA_ACTIONS`), the effectiveness checks and the sweep of
their deadlines.

Keyword-only arguments, `transaction.atomic`, the complaint row locked before a change; each change
is audited and written to the ticket's timeline (an internal system entry) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Iterable
from typing import Any

from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.attachments.services import attachment_add
from herdesk.audit.services import audit_record
from herdesk.catalog.models import Product
from herdesk.clocks.services import clocks_on_event, compute_due
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify
from herdesk.policies.choices import Event
from herdesk.tickets.choices import ComplaintSeverity, Direction, InteractionKind, ProblemType
from herdesk.tickets.models import Ticket
from herdesk.tickets.services import interaction_add, ticket_triage

from .choices import CapaKind, CapaStatus, CheckResult, Level, Regulator, Stage
from .lifecycle import ACTIONS, CAPA_ACTIONS
from .models import Capa, CapaCheck, CauseCategory, Complaint, ComplaintLot, RootCause

log = logging.getLogger(__name__)

CALENDAR = "office"
WARN_PERCENT = 80
EFFECTIVENESS_DAYS = (30, 90)
MAX_WHYS = 5
MAX_LOTS = 20
TEXT_MAX = 4000
# 市场监管 forwarded complaints: the enterprise answers within the time given in the transfer; 7
# working days unless the transfer says otherwise.
REGULATOR_DEFAULT_DAYS = 7


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _lock(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("ticket").get(pk=complaint.pk)


def _timeline(complaint: Complaint, actor: Any, body: str, at: dt.datetime, **data: Any) -> None:

    interaction_add(
        ticket=complaint.ticket,
        actor=actor,
        body=body,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        is_public=False,
        occurred_at=at,
        data={"complaint": True, **{k: str(v) for k, v in data.items()}},
    )


def _audit(actor: Any, action: str, complaint: Complaint, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=f"complaint.{action}",
        object_type="complaint",
        object_id=complaint.ticket.number,
        data={k: (v if isinstance(v, int | bool | list) else str(v)) for k, v in data.items()},
    )


def _text(errors: dict[str, str], field: str, value: Any, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > TEXT_MAX:
        errors[field] = _("At most %(n)s characters.") % {"n": TEXT_MAX}
    return text


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        field = next(iter(errors))
        raise DomainError("; ".join(errors.values()), code="invalid", field=field)


def _tier_and_manager(ticket: Ticket) -> tuple[str, Any]:
    """The customer's tier and account manager (the organisation's when the customer has none)."""
    customer = ticket.customer
    org = ticket.organisation or (customer.organisation if customer else None)
    tier = (customer.tier if customer else "") or ""
    manager = customer.account_manager if customer and customer.account_manager_id else None
    if org is not None:
        if org.tier == "key_account":
            tier = "key_account"
        manager = manager or (org.account_manager if org.account_manager_id else None)
    return tier, manager


# --- the record ------------------------------------------------------------------------------------


def complaint_ensure(*, ticket: Ticket, actor: Any = None, at: dt.datetime | None = None) -> Complaint | None:
    """The complaint record of a complaint ticket, created once (idempotent: a second call, or a race,
    returns the existing record). None for a ticket that is not a complaint. At creation the
    customer's tier and account manager are noted and a key account's manager is told (CMP-4)."""
    if ticket.problem_type != ProblemType.COMPLAINT:
        return None
    existing = Complaint.objects.filter(ticket_id=ticket.pk).first()
    if existing is not None:
        return existing
    at = _now(at)
    ticket = Ticket.objects.select_related("customer__organisation", "organisation").get(pk=ticket.pk)
    tier, manager = _tier_and_manager(ticket)
    try:
        with transaction.atomic():
            complaint = Complaint.objects.create(
                ticket=ticket,
                received_at=ticket.received_at,
                customer_tier=tier,
                is_key_account=tier == "key_account",
                account_manager=manager,
            )
            _timeline(complaint, actor, _("Complaint record opened (CMP-1)."), at, stage=Stage.RECEIVED)
            _audit(actor, "received", complaint, tier=tier, account_manager=getattr(manager, "username", ""))
            if complaint.is_key_account and manager is not None:
                notify(
                    users=[manager],
                    kind=NotificationKind.OTHER,
                    ticket=ticket,
                    key="complaint-received",
                    data={
                        "text": _("Key-account complaint %(ticket)s received: %(subject)s")
                        % {"ticket": ticket.number, "subject": ticket.subject[:80]}
                    },
                )
    except IntegrityError:
        # Another transaction created it first.
        return Complaint.objects.get(ticket_id=ticket.pk)
    return complaint


def complaints_ensure_missing(*, limit: int = 500, at: dt.datetime | None = None) -> int:
    """The backstop of the sweep: complaint tickets written without their record (bulk imports, a
    failed after-commit hook) get one."""
    missing = (
        Ticket.objects.filter(problem_type=ProblemType.COMPLAINT, complaint__isnull=True)
        .exclude(status="merged")
        .order_by("pk")[:limit]
    )
    n = 0
    for ticket in missing:
        if complaint_ensure(ticket=ticket, at=at) is not None:
            n += 1
    return n


def _ticket_saved(sender: Any, instance: Ticket | None = None, **kwargs: Any) -> None:
    """post_save of a ticket and tickets' `ticket_created` (creation writes the row without model
    signals): a complaint ticket gets its record after the ticket's transaction commits (so the
    ticket services' own statements and pinned query counts are untouched)."""
    instance = instance if instance is not None else kwargs.get("ticket")
    if instance is None or instance.problem_type != ProblemType.COMPLAINT or kwargs.get("raw"):
        return
    pk = instance.pk

    def ensure() -> None:
        try:
            ticket = Ticket.objects.filter(pk=pk).first()
            if ticket is not None:
                complaint_ensure(ticket=ticket)
        except Exception:  # the sweep's backstop retries
            log.exception("complaint record for ticket %s not created", pk)

    transaction.on_commit(ensure)


# --- the workflow ----------------------------------------------------------------------------------


def _lots(errors: dict[str, str], raw: Iterable[dict[str, Any]] | None) -> list[ComplaintLot]:

    lots: list[ComplaintLot] = []
    for row in list(raw or [])[: MAX_LOTS + 1]:
        product = row.get("product")
        if product is not None and not isinstance(product, Product):
            product = Product.objects.filter(pk=product).first() if str(product).isdigit() else None
            if product is None:
                errors["lots"] = _("Unknown product.")
        batch = str(row.get("batch") or "").strip()
        if len(batch) > 40:
            errors["lots"] = _("A batch number has at most 40 characters.")
        produced = row.get("production_date")
        if isinstance(produced, str) and produced:
            try:
                produced = dt.date.fromisoformat(produced)
            except ValueError:
                errors["lots"] = _("A production date is written YYYY-MM-DD.")
                produced = None
        if product or batch or produced:
            lots.append(ComplaintLot(product=product, batch=batch, production_date=produced or None))
    if len(lots) > MAX_LOTS:
        errors["lots"] = _("At most %(n)s batches.") % {"n": MAX_LOTS}
    return lots


@transaction.atomic
def complaint_transition(
    *, complaint: Complaint, action: str, actor: Any, at: dt.datetime | None = None, **fields: Any
) -> Complaint:
    """Apply one workflow action (lifecycle.ACTIONS) with what it records:

    - assess: impact, urgency, severity (general/major: swaps the complaint clocks, CMP-2), lots
      (product, batch, production date), note; the customer's tier is taken again;
    - assign: owner (required for a major complaint: a designated owner until solved, CMP-2);
    - contain: text (the immediate action, e.g. stop selling a batch);
    - solve: solution, communication (stops the solution/progress clock);
    - execute / verify / reject_verification: text;
    - confirm: text (how the customer confirmed); customer_rejects: text;
    - close: requires the root-cause analysis, a CAPA for a systemic cause, and the account manager's
      sign-off of a key account's solution.
    """
    at = _now(at)
    complaint = _lock(complaint)
    if action not in ACTIONS:
        raise DomainError(_("Unknown complaint action “%(a)s”.") % {"a": str(action)[:30]}, code="invalid")
    sources, target = ACTIONS[action]
    if complaint.stage not in sources:
        raise TransitionNotAllowed(
            _("A complaint that is “%(from)s” cannot be moved by “%(action)s”.")
            % {"from": Stage(complaint.stage).label, "action": action}
        )
    ticket = complaint.ticket
    errors: dict[str, str] = {}
    note = ""
    data: dict[str, Any] = {}
    if action == "assess":
        impact, urgency = fields.get("impact") or "", fields.get("urgency") or ""
        severity = fields.get("severity") or ""
        if impact not in Level.values:
            errors["impact"] = _("Choose the impact.")
        if urgency not in Level.values:
            errors["urgency"] = _("Choose the urgency.")
        if severity not in ComplaintSeverity.values:
            errors["severity"] = _("Choose general or major.")
        lots = _lots(errors, fields.get("lots"))
        note = _text(errors, "note", fields.get("note"), required=False)
        _refuse(errors)
        complaint.impact, complaint.urgency, complaint.assessment_note = impact, urgency, note
        tier, manager = _tier_and_manager(ticket)
        complaint.customer_tier, complaint.is_key_account = tier, tier == "key_account"
        complaint.account_manager = complaint.account_manager or manager
        if lots:
            complaint.lots.all().delete()
            for lot in lots:
                lot.complaint = complaint
            ComplaintLot.objects.bulk_create(lots)
        if ticket.complaint_severity != severity:
            ticket_triage(ticket=ticket, actor=actor, complaint_severity=severity, at=at)
            complaint.ticket.refresh_from_db()
        if complaint.stage == Stage.RECEIVED:
            clocks_on_event(ticket=complaint.ticket, event=Event.HANDLING_STARTED, at=at)
        data = {"impact": impact, "urgency": urgency, "severity": severity, "lots": len(lots)}
    elif action == "assign":
        owner = fields.get("owner")
        if owner is not None and (
            not getattr(owner, "is_active", False) or getattr(owner, "customer_id", None)
        ):
            errors["owner"] = _("The owner must be an active member of staff.")
        if owner is None and ticket.complaint_severity == ComplaintSeverity.MAJOR:
            errors["owner"] = _("A major complaint needs a designated owner (CMP-2).")
        _refuse(errors)
        complaint.owner = owner or complaint.owner or ticket.assignee
        data = {"owner": getattr(complaint.owner, "username", "")}
        if complaint.owner is not None:
            notify(
                users=[complaint.owner],
                kind=NotificationKind.OTHER,
                ticket=ticket,
                exclude=actor,
                key=f"complaint-owner-{complaint.owner.pk}",
                data={"text": _("You are the designated owner of complaint %(t)s.") % {"t": ticket.number}},
            )
    elif action == "contain":
        complaint.containment_action = _text(errors, "text", fields.get("text"))
        _refuse(errors)
        complaint.containment_at = at
        note = complaint.containment_action
    elif action == "solve":
        solution = _text(errors, "solution", fields.get("solution"))
        communication = _text(errors, "communication", fields.get("communication"))
        _refuse(errors)
        if solution != complaint.solution:
            # A changed solution needs the account manager's sign-off again (CMP-4).
            complaint.am_signed_off_at, complaint.am_signed_off_by = None, None
        complaint.solution, complaint.communication = solution, communication
        note = solution
        clocks_on_event(ticket=ticket, event=Event.PROGRESS_GIVEN, at=at)
        if complaint.is_key_account and complaint.account_manager_id:
            notify(
                users=[complaint.account_manager_id],
                kind=NotificationKind.OTHER,
                ticket=ticket,
                exclude=actor,
                data={
                    "text": _("The solution of complaint %(t)s awaits your sign-off.") % {"t": ticket.number}
                },
            )
    elif action == "execute":
        if complaint.is_key_account and complaint.am_signed_off_at is None:
            raise DomainError(
                _("The account manager signs off the solution of a key account's complaint first (CMP-4)."),
                code="domain_error",
            )
        complaint.execution_note = note = _text(errors, "text", fields.get("text"))
    elif action in ("verify", "reject_verification"):
        complaint.verification_note = note = _text(errors, "text", fields.get("text"))
    elif action in ("confirm", "customer_rejects"):
        complaint.confirmation_note = note = _text(errors, "text", fields.get("text"))
        if action == "confirm":
            complaint.confirmed_at = at
    elif action == "close":
        rca = RootCause.objects.filter(complaint=complaint).first()
        if rca is None:
            raise DomainError(_("The root-cause analysis is required before a complaint closes (CMP-3)."))
        capas = complaint.capas.exclude(status=CapaStatus.CANCELLED)
        if rca.systemic and not capas.exists():
            raise DomainError(
                _("A systemic cause needs at least one corrective or preventive action (CMP-3).")
            )
        complaint.closed_at = at
    _refuse(errors)
    old = complaint.stage
    complaint.stage = target
    complaint.save()
    label = _("Complaint: %(from)s → %(to)s") % {"from": Stage(old).label, "to": Stage(target).label}
    _timeline(complaint, actor, f"{label}" + (f" — {note[:500]}" if note else ""), at, action=action)
    _audit(actor, action, complaint, **{"from": old, "to": target, **data})
    return complaint


@transaction.atomic
def complaint_am_sign_off(*, complaint: Complaint, actor: Any, at: dt.datetime | None = None) -> Complaint:
    """CMP-4: the key account's manager signs off the solution (only that person, only once a solution
    is recorded)."""
    at = _now(at)
    complaint = _lock(complaint)
    if not complaint.is_key_account or complaint.account_manager_id != getattr(actor, "pk", None):
        raise DomainError(_("Only the customer's account manager signs off this solution."), code="forbidden")
    if complaint.stage != Stage.SOLUTION or not complaint.solution:
        raise TransitionNotAllowed(_("There is no solution waiting for a sign-off."))
    complaint.am_signed_off_by, complaint.am_signed_off_at = actor, at
    complaint.save(update_fields=["am_signed_off_by", "am_signed_off_at", "updated_at"])
    _timeline(
        complaint, actor, _("Account manager signed off the solution (CMP-4)."), at, action="am_sign_off"
    )
    _audit(actor, "am_sign_off", complaint)
    return complaint


@transaction.atomic
def complaint_regulator_set(
    *,
    complaint: Complaint,
    actor: Any,
    regulator: str,
    reference: str,
    working_days: int = REGULATOR_DEFAULT_DAYS,
    forwarded_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> Complaint:
    """Flag a complaint as forwarded by a regulator (12315 / 市场监管) with its reference number and
    its own deadline: `working_days` after the forwarding (warning at 80 %)."""
    at = _now(at)
    complaint = _lock(complaint)
    errors: dict[str, str] = {}
    if regulator not in Regulator.values or not regulator:
        errors["regulator"] = _("Choose the authority that forwarded the complaint.")
    ref = _text(errors, "reference", reference)
    if len(ref) > 60:
        errors["reference"] = _("At most %(n)s characters.") % {"n": 60}
    if not isinstance(working_days, int) or not 1 <= working_days <= 60:
        errors["working_days"] = _("Between 1 and 60 working days.")
    _refuse(errors)
    due, warn = compute_due(
        calendar_code=CALENDAR,
        target=f"{working_days}wd",
        start=forwarded_at or at,
        warn_percent=WARN_PERCENT,
    )
    complaint.regulator, complaint.regulator_reference = regulator, ref
    complaint.regulator_due_at, complaint.regulator_warn_at = due, warn
    complaint.regulator_warned_at = complaint.regulator_breached_at = None
    complaint.save()
    _timeline(
        complaint,
        actor,
        _("Forwarded by %(r)s, reference %(ref)s; answer due %(due)s.")
        % {
            "r": Regulator(regulator).label,
            "ref": ref,
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        },
        at,
        action="regulator",
    )
    _audit(actor, "regulator", complaint, regulator=regulator, reference=ref, due=due.isoformat())
    return complaint


@transaction.atomic
def complaint_regulator_replied(
    *, complaint: Complaint, actor: Any, at: dt.datetime | None = None
) -> Complaint:
    """The answer to the regulator went out: its deadline stops."""
    at = _now(at)
    complaint = _lock(complaint)
    if not complaint.regulator or complaint.regulator_replied_at:
        raise TransitionNotAllowed(_("No regulator deadline is running on this complaint."))
    complaint.regulator_replied_at = at
    complaint.save(update_fields=["regulator_replied_at", "updated_at"])
    _timeline(complaint, actor, _("Answer sent to the regulator."), at, action="regulator_replied")
    _audit(actor, "regulator_replied", complaint)
    return complaint


# --- root cause ------------------------------------------------------------------------------------


@transaction.atomic
def rca_record(
    *,
    complaint: Complaint,
    actor: Any,
    category: CauseCategory | None,
    whys: list[str],
    statement: str = "",
    systemic: bool = False,
    uploads: Iterable[Any] = (),
    at: dt.datetime | None = None,
) -> RootCause:
    """CMP-3: record (or revise) the root-cause analysis: an active cause category of the taxonomy,
    the 5-why chain (1 to 5 answers, in order), the root-cause statement, whether it is systemic, and
    evidence files (stored as the ticket's internal attachments)."""

    at = _now(at)
    complaint = _lock(complaint)
    if complaint.stage == Stage.CLOSED:
        raise TransitionNotAllowed(_("A closed complaint's analysis is no longer changed."))
    errors: dict[str, str] = {}
    if category is None or not category.is_active:
        errors["category"] = _("Choose an active cause category.")
    chain = [str(w).strip() for w in whys if str(w or "").strip()]
    if not chain:
        errors["whys"] = _("Write at least the first why.")
    elif len(chain) > MAX_WHYS:
        errors["whys"] = _("At most five whys.")
    elif any(len(w) > 500 for w in chain):
        errors["whys"] = _("Each answer has at most 500 characters.")
    text = _text(errors, "statement", statement, required=False)
    _refuse(errors)
    assert category is not None
    rca, _created = RootCause.objects.update_or_create(
        complaint=complaint,
        defaults={
            "category": category,
            "whys": chain,
            "statement": text,
            "systemic": bool(systemic),
            "analysed_by": actor if getattr(actor, "pk", None) else None,
            "analysed_at": at,
        },
    )
    files = [attachment_add(ticket=complaint.ticket, actor=actor, upload=u, at=at) for u in uploads]
    if files:
        rca.evidence.add(*files)
    _timeline(
        complaint,
        actor,
        _("Root cause: %(c)s%(s)s — %(w)s")
        % {
            "c": str(category),
            "s": _(" (systemic)") if systemic else "",
            "w": " → ".join(chain)[:500],
        },
        at,
        action="rca",
    )
    _audit(
        actor,
        "rca",
        complaint,
        category=category.code,
        systemic=bool(systemic),
        whys=len(chain),
        files=len(files),
    )
    return rca


@transaction.atomic
def cause_save(
    *,
    actor: Any,
    name: str,
    name_en: str = "",
    code: str = "",
    parent: CauseCategory | None = None,
    category: CauseCategory | None = None,
    is_active: bool = True,
) -> CauseCategory:
    """Add a sub-cause under one of the six top categories, or rename / (de)activate one. The six
    top categories themselves are fixed (人、机、料、法、环、测)."""
    errors: dict[str, str] = {}
    name = _text(errors, "name", name)
    if len(name) > 60:
        errors["name"] = _("At most %(n)s characters.") % {"n": 60}
    if category is None:
        if parent is None or parent.parent_id is not None:
            errors["parent"] = _("Choose one of the six top categories.")
        code = (code or "").strip().lower()
        import re

        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", code):
            errors["code"] = _("A code of letters, digits, - or _.")
        elif CauseCategory.objects.filter(code=code).exists():
            errors["code"] = _("This code is already used.")
    _refuse(errors)
    if category is None:
        category = CauseCategory.objects.create(
            parent=parent,
            code=code,
            name=name,
            name_en=name_en[:60],
            position=CauseCategory.objects.filter(parent=parent).count() + 1,
        )
        action = "cause.add"
    else:
        category.name, category.name_en = name, name_en[:60]
        if category.parent_id is not None:
            category.is_active = bool(is_active)
        category.save()
        action = "cause.change"
    audit_record(
        actor=actor,
        action=f"complaint.{action}",
        object_type="cause_category",
        object_id=category.code,
        data={"name": name, "active": category.is_active},
    )
    return category


# --- CAPA ------------------------------------------------------------------------------------------


def _capa_lock(capa: Capa) -> Capa:
    return Capa.objects.select_for_update().select_related("complaint__ticket").get(pk=capa.pk)


@transaction.atomic
def capa_create(
    *,
    complaint: Complaint,
    actor: Any,
    kind: str,
    description: str,
    owner: Any,
    working_days: int,
    expected_effect: str = "",
    at: dt.datetime | None = None,
) -> Capa:
    """CMP-3: a corrective or preventive action with an owner and a due date in working days (the
    office calendar, with its 调休 days; warning at 80 % of the working time)."""
    at = _now(at)
    complaint = _lock(complaint)
    errors: dict[str, str] = {}
    if kind not in CapaKind.values:
        errors["kind"] = _("Choose corrective or preventive.")
    text = _text(errors, "description", description)
    effect = _text(errors, "expected_effect", expected_effect, required=False)
    if owner is None or not getattr(owner, "is_active", False) or getattr(owner, "customer_id", None):
        errors["owner"] = _("The owner must be an active member of staff.")
    if not isinstance(working_days, int) or not 1 <= working_days <= 250:
        errors["working_days"] = _("Between 1 and 250 working days.")
    if complaint.stage == Stage.CLOSED:
        errors["complaint"] = _("The complaint is closed.")
    _refuse(errors)
    due, warn = compute_due(
        calendar_code=CALENDAR, target=f"{working_days}wd", start=at, warn_percent=WARN_PERCENT
    )
    capa = Capa.objects.create(
        complaint=complaint,
        kind=kind,
        description=text,
        expected_effect=effect,
        owner=owner,
        working_days=working_days,
        due_at=due,
        warn_at=warn,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=at,
    )
    _timeline(
        complaint,
        actor,
        _("CAPA %(kind)s added: %(text)s (owner %(owner)s, due %(due)s)")
        % {
            "kind": CapaKind(kind).label,
            "text": text[:200],
            "owner": str(owner),
            "due": timezone.localtime(due).strftime("%Y-%m-%d"),
        },
        at,
        action="capa_add",
        capa=capa.pk,
    )
    _audit(actor, "capa.add", complaint, capa=capa.pk, kind=kind, owner=owner.username, due=due.isoformat())
    notify(
        users=[owner],
        kind=NotificationKind.OTHER,
        ticket=complaint.ticket,
        exclude=actor,
        data={
            "text": _("CAPA for complaint %(t)s assigned to you: %(d)s")
            % {"t": complaint.ticket.number, "d": text[:80]}
        },
    )
    return capa


@transaction.atomic
def capa_transition(
    *,
    capa: Capa,
    action: str,
    actor: Any,
    evidence: str = "",
    uploads: Iterable[Any] = (),
    reason: str = "",
    at: dt.datetime | None = None,
) -> Capa:
    """One CAPA step (lifecycle.CAPA_ACTIONS). Completing needs evidence of completion (text or a
    file) and schedules the effectiveness checks at +30 and +90 days; a reopen (a recurrence)
    restarts the due date from now with the same number of working days."""

    at = _now(at)
    capa = _capa_lock(capa)
    if action not in CAPA_ACTIONS:
        raise DomainError(_("Unknown CAPA action “%(a)s”.") % {"a": str(action)[:30]}, code="invalid")
    sources, target = CAPA_ACTIONS[action]
    if capa.status not in sources:
        raise TransitionNotAllowed(
            _("A CAPA that is “%(from)s” cannot be moved by “%(action)s”.")
            % {"from": CapaStatus(capa.status).label, "action": action}
        )
    uploads = list(uploads)
    errors: dict[str, str] = {}
    text = _text(errors, "evidence", evidence, required=action == "complete" and not uploads)
    _refuse(errors)
    old = capa.status
    capa.status = target
    if action == "complete":
        capa.evidence = text
        capa.completed_at = at
        files = [attachment_add(ticket=capa.complaint.ticket, actor=actor, upload=u, at=at) for u in uploads]
        if files:
            capa.evidence_files.add(*files)
        capa.checks.filter(performed_at__isnull=True).delete()
        CapaCheck.objects.bulk_create(
            [CapaCheck(capa=capa, days=d, due_at=at + dt.timedelta(days=d)) for d in EFFECTIVENESS_DAYS]
        )
    elif action == "reopen":
        capa.reopen_count += 1
        capa.completed_at = None
        capa.checks.filter(performed_at__isnull=True).delete()
        capa.due_at, capa.warn_at = compute_due(
            calendar_code=CALENDAR, target=f"{capa.working_days}wd", start=at, warn_percent=WARN_PERCENT
        )
        capa.warned_at = capa.breached_at = None
        notify(
            users=[capa.owner_id, capa.complaint.owner_id],
            kind=NotificationKind.OTHER,
            ticket=capa.complaint.ticket,
            data={
                "text": _("CAPA of complaint %(t)s reopened: %(r)s")
                % {"t": capa.complaint.ticket.number, "r": reason[:120]}
            },
        )
    capa.save()
    _timeline(
        capa.complaint,
        actor,
        _("CAPA #%(n)s: %(from)s → %(to)s")
        % {"n": capa.pk, "from": CapaStatus(old).label, "to": CapaStatus(target).label}
        + (f" — {(reason or text)[:300]}" if (reason or text) else ""),
        at,
        action=f"capa_{action}",
        capa=capa.pk,
    )
    _audit(actor, f"capa.{action}", capa.complaint, capa=capa.pk, **{"from": old, "to": target})
    return capa


def recurrences(*, capa: Capa, since: dt.datetime, until: dt.datetime) -> list[Complaint]:
    """New complaints (received in [since, until), other than the CAPA's own) with the same cause
    category, product or batch as the CAPA's complaint (CMP-5)."""
    origin = capa.complaint
    products = {p for p in origin.lots.values_list("product_id", flat=True) if p}
    if origin.ticket.product_id:
        products.add(origin.ticket.product_id)
    batches = {b for b in origin.lots.values_list("batch", flat=True) if b}
    category_id = RootCause.objects.filter(complaint=origin).values_list("category_id", flat=True).first()
    same = Q(pk__in=[])
    if category_id:
        same |= Q(root_cause__category_id=category_id)
    if products:
        same |= Q(ticket__product_id__in=products) | Q(lots__product_id__in=products)
    if batches:
        same |= Q(lots__batch__in=batches)
    return list(
        Complaint.objects.filter(same, received_at__gte=since, received_at__lt=until)
        .exclude(pk=origin.pk)
        .select_related("ticket")
        .distinct()
        .order_by("received_at")
    )


@transaction.atomic
def capa_check_run(*, check: CapaCheck, at: dt.datetime | None = None) -> CapaCheck:
    """Perform one effectiveness check: a recurrence since completion reopens the CAPA; the +90-day
    check without one marks it effective."""
    at = _now(at)
    check = CapaCheck.objects.select_for_update().get(pk=check.pk)
    if check.performed_at is not None:
        return check
    capa = Capa.objects.select_related("complaint__ticket").get(pk=check.capa_id)
    since = capa.completed_at or capa.created_at
    found = recurrences(capa=capa, since=since, until=at)
    check.performed_at = at
    check.recurrences = [c.ticket.number for c in found]
    check.result = CheckResult.RECURRED if found else CheckResult.NO_RECURRENCE
    check.save()
    if found:
        capa_transition(
            capa=capa,
            action="reopen",
            actor=None,
            at=at,
            reason=_("the +%(d)s-day check found a recurrence: %(list)s")
            % {"d": check.days, "list": ", ".join(check.recurrences[:10])},
        )
    else:
        _timeline(
            capa.complaint,
            None,
            _("CAPA #%(n)s: +%(d)s-day effectiveness check, no recurrence.")
            % {"n": capa.pk, "d": check.days},
            at,
            action="capa_check",
            capa=capa.pk,
        )
        _audit(None, "capa.check", capa.complaint, capa=capa.pk, days=check.days, result=check.result)
        if check.days == max(EFFECTIVENESS_DAYS) and capa.status == CapaStatus.DONE:
            capa_transition(capa=capa, action="confirm_effective", actor=None, at=at)
    return check


# --- the sweep -------------------------------------------------------------------------------------


def complaints_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic job: missing complaint records, CAPA warnings and breaches (owner and complaint
    owner told once each), regulator deadlines, and the effectiveness checks that fell due (at most
    200 of each per run, so a backlog drains over a few runs)."""
    now = _now(now)
    counts = {"records": complaints_ensure_missing(at=now), "warnings": 0, "breaches": 0, "checks": 0}
    open_statuses = [CapaStatus.OPEN, CapaStatus.IN_PROGRESS, CapaStatus.REOPENED]
    for capa in Capa.objects.filter(
        status__in=open_statuses, breached_at__isnull=True, due_at__lte=now
    ).select_related("complaint__ticket")[:200]:
        with transaction.atomic():
            Capa.objects.filter(pk=capa.pk).update(breached_at=now, warned_at=capa.warned_at or now)
            notify(
                users=[capa.owner_id, capa.complaint.owner_id],
                kind=NotificationKind.CLOCK_BREACH,
                ticket=capa.complaint.ticket,
                key=f"capa-{capa.pk}-breach-{capa.reopen_count}",
                data={"clock": "capa", "due_at": capa.due_at.isoformat()},
            )
            _audit(None, "capa.breach", capa.complaint, capa=capa.pk)
        counts["breaches"] += 1
    for capa in Capa.objects.filter(
        status__in=open_statuses, warned_at__isnull=True, warn_at__lte=now, due_at__gt=now
    ).select_related("complaint__ticket")[:200]:
        with transaction.atomic():
            Capa.objects.filter(pk=capa.pk).update(warned_at=now)
            notify(
                users=[capa.owner_id],
                kind=NotificationKind.CLOCK_WARNING,
                ticket=capa.complaint.ticket,
                key=f"capa-{capa.pk}-warn-{capa.reopen_count}",
                data={"clock": "capa", "due_at": capa.due_at.isoformat()},
            )
        counts["warnings"] += 1
    regulated = Complaint.objects.filter(regulator_replied_at__isnull=True).exclude(regulator="")
    for c in regulated.filter(regulator_breached_at__isnull=True, regulator_due_at__lte=now).select_related(
        "ticket"
    )[:200]:
        with transaction.atomic():
            Complaint.objects.filter(pk=c.pk).update(regulator_breached_at=now)
            notify(
                users=[c.owner_id, c.account_manager_id, c.ticket.assignee_id],
                kind=NotificationKind.CLOCK_BREACH,
                ticket=c.ticket,
                key="regulator-breach",
                data={
                    "clock": "regulator",
                    "due_at": c.regulator_due_at.isoformat() if c.regulator_due_at else "",
                },
            )
            _audit(None, "regulator.breach", c)
        counts["breaches"] += 1
    for c in regulated.filter(
        regulator_warned_at__isnull=True, regulator_warn_at__lte=now, regulator_due_at__gt=now
    ).select_related("ticket")[:200]:
        with transaction.atomic():
            Complaint.objects.filter(pk=c.pk).update(regulator_warned_at=now)
            notify(
                users=[c.owner_id, c.ticket.assignee_id],
                kind=NotificationKind.CLOCK_WARNING,
                ticket=c.ticket,
                key="regulator-warn",
                data={
                    "clock": "regulator",
                    "due_at": c.regulator_due_at.isoformat() if c.regulator_due_at else "",
                },
            )
        counts["warnings"] += 1
    for check in CapaCheck.objects.filter(performed_at__isnull=True, due_at__lte=now).order_by("due_at")[
        :200
    ]:
        capa_check_run(check=check, at=now)
        counts["checks"] += 1
    return counts


def causes_ensure() -> None:
    """The seeded cause taxonomy (CMP-3), as migration 0002 loads it: idempotent. Reference data,
    so a database flushed by a transactional test (or restored without it) gets it back."""
    seed = importlib.import_module("herdesk.complaints.migrations.0002_cause_taxonomy").seed
    seed(django_apps, None)
