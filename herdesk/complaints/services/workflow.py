"""The complaint record (created once per complaint ticket) and its workflow: `complaint_transition`
is the only writer of `stage` and enforces `lifecycle.ACTIONS` with its guards (CMP-1, -2, -4);
the account manager's sign-off and the regulator's deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.catalog.models import Product
from herdesk.clocks.services import clocks_on_event, compute_due
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.common.rowsql import row_get, rows_insert
from herdesk.customers.models import Customer, Organisation
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.customer_notices import notice_send
from herdesk.notifications.staff_notices import notify
from herdesk.policies.choices import Event
from herdesk.tickets.choices import ComplaintSeverity, ProblemType
from herdesk.tickets.models import Ticket
from herdesk.tickets.services import ticket_triage

from ..choices import CapaStatus, Level, Regulator, Stage
from ..lifecycle import ACTIONS
from ..models import Complaint, ComplaintLot, RootCause
from ._common import (
    CALENDAR,
    MAX_LOTS,
    REGULATOR_DEFAULT_DAYS,
    WARN_PERCENT,
    _audit,
    _lock,
    _now,
    _refuse,
    _text,
    _tier_and_manager,
    _timeline,
    log,
)

# --- the record ------------------------------------------------------------------------------------


def complaint_ensure(
    *, ticket: Ticket, actor: Any = None, at: dt.datetime | None = None, new_ticket: bool = False
) -> Complaint | None:
    """The complaint record of a complaint ticket, created once (idempotent: a second call, or a race,
    returns the existing record). None for a ticket that is not a complaint. At creation the
    customer's tier and account manager are noted and a key account's manager is told (CMP-4).

    `new_ticket`: `ticket` was committed a moment ago by its creator (the creation hook), so no
    record can exist unless another transaction made one meanwhile, which the unique key's
    IntegrityError below catches: the look-up first is skipped (issue #20). The customer, its
    organisation and their account managers are still read afresh: the creator's instances may
    predate a change to them."""
    if ticket.problem_type != ProblemType.COMPLAINT:
        return None
    if new_ticket:
        # The ticket's own fields are what its creator wrote; who the customer's and organisation's
        # account managers are now is read afresh (one statement built once; the organisation's
        # manager only when the customer has none).
        customer = row_get(Customer, "pk", ticket.customer_id, related=("organisation", "account_manager"))
        ticket.customer = customer
        if ticket.organisation_id == customer.organisation_id:
            ticket.organisation = customer.organisation
        elif ticket.organisation_id is not None:
            ticket.organisation = Organisation.objects.get(pk=ticket.organisation_id)
    else:
        existing = Complaint.objects.filter(ticket_id=ticket.pk).first()
        if existing is not None:
            return existing
        ticket = Ticket.objects.select_related(
            "customer__organisation__account_manager",
            "customer__account_manager",
            "organisation__account_manager",
        ).get(pk=ticket.pk)
    at = _now(at)
    tier, manager = _tier_and_manager(ticket)
    try:
        with transaction.atomic():
            complaint = Complaint(
                ticket=ticket,
                received_at=ticket.received_at,
                customer_tier=tier,
                is_key_account=tier == "key_account",
                account_manager=manager,
            )
            rows_insert([complaint])  # built once (#20); nothing listens to a complaint's save
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


def _ensure_after_commit(pk: int, new_ticket: Ticket | None = None) -> None:
    try:
        if new_ticket is not None:
            complaint_ensure(ticket=new_ticket, new_ticket=True)
            return
        ticket = Ticket.objects.filter(pk=pk).first()
        if ticket is not None:
            complaint_ensure(ticket=ticket)
    except Exception:  # the sweep's backstop retries
        log.exception("complaint record for ticket %s not created", pk)


def ticket_created_hook(ticket: Ticket) -> None:
    """Registered with `tickets.hooks.on_ticket_created` (apps.ready): runs after a new ticket's
    transaction commits, so the ticket services' own statements and pinned query counts are
    untouched. A complaint ticket gets its record (CMP-1)."""
    if ticket.problem_type == ProblemType.COMPLAINT:
        _ensure_after_commit(ticket.pk, ticket)


def _ticket_saved(sender: Any, instance: Ticket | None = None, **kwargs: Any) -> None:
    """post_save of a ticket: one *becoming* a complaint on a later save (triage, the admin) gets its
    record after that transaction commits (creation writes the row without model signals and is
    served by `ticket_created_hook`)."""
    if instance is None or instance.problem_type != ProblemType.COMPLAINT or kwargs.get("raw"):
        return
    fields = kwargs.get("update_fields")
    if fields is not None and "problem_type" not in fields:
        return  # a save that does not write the type cannot make a complaint (e.g. an escalation)
    pk = instance.pk
    transaction.on_commit(lambda: _ensure_after_commit(pk))


# The complaint's own customer notices (outbox kinds declared in apps.ready(), essential: CMP-1's
# "solution and communication" is owed to the customer even when they opted out of the others).
SOLUTION_NOTICE = "complaint_solution"
CLOSED_NOTICE = "complaint_closed"
NOTICE_KINDS = (SOLUTION_NOTICE, CLOSED_NOTICE)


def _tell_customer(complaint: Complaint, kind: str, at: dt.datetime) -> None:
    """The solution (or the closure) on the customer's channel through the outbox, written on the
    ticket's public timeline by the notice machinery (route, languages, fallback)."""
    ticket = complaint.ticket
    solution = complaint.solution

    def build() -> str:
        if kind == SOLUTION_NOTICE:
            return str(
                _("About your complaint %(number)s, our solution: %(solution)s")
                % {"number": ticket.number, "solution": solution}
            )
        return str(
            _(
                "Your complaint %(number)s is closed. We have found its cause and taken action so that it "
                "does not happen again. Thank you for telling us."
            )
            % {"number": ticket.number}
        )

    def subject() -> str:
        if kind == SOLUTION_NOTICE:
            return str(_("Your complaint %(number)s: our solution") % {"number": ticket.number})
        return str(_("Your complaint %(number)s is closed") % {"number": ticket.number})

    notice_send(ticket=ticket, kind=kind, build=build, subject=subject, at=at)


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
        _tell_customer(complaint, SOLUTION_NOTICE, at)
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
    if action == "close":
        _tell_customer(complaint, CLOSED_NOTICE, at)
    label = _("Complaint: %(from)s → %(to)s") % {"from": Stage(old).label, "to": Stage(target).label}
    _timeline(complaint, actor, f"{label}" + (f" — {note[:500]}" if note else ""), at, action=action)
    _audit(actor, action, complaint, **{"from": old, "to": target, **data})
    return complaint


@transaction.atomic
def complaint_customer_answer(
    *, ticket: Ticket, actor: Any, accepted: bool, note: str = "", at: dt.datetime | None = None
) -> Complaint | None:
    """The customer confirms (or disputes) the resolution of a complaint ticket on the portal or from
    the signed link in the resolution notice. A verified complaint moves to confirmed (or back to
    solution) through `complaint_transition`; at an earlier stage the answer is only recorded
    (timeline, audit) and the staff confirm once verified. None for a ticket that is not a complaint."""
    at = _now(at)
    complaint = complaint_ensure(ticket=ticket, at=at)
    if complaint is None:
        return None
    complaint = _lock(complaint)
    how = note.strip() or (
        _("The customer confirmed the resolution on the portal.")
        if accepted
        else _("The customer disputed the resolution on the portal.")
    )
    if complaint.stage == Stage.VERIFIED:
        action = "confirm" if accepted else "customer_rejects"
        return complaint_transition(complaint=complaint, action=action, actor=actor, at=at, text=how)
    _timeline(complaint, actor, how, at, action="customer_answer", accepted=accepted)
    _audit(actor, "customer_answer", complaint, accepted=accepted, stage=complaint.stage)
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
