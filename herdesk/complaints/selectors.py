"""Every read of complaints: visibility, the list and board, the complaint page, the monthly analysis
(CMP-1..5)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet

from herdesk.customers.models import Customer
from herdesk.tickets.choices import ProblemType
from herdesk.tickets.models import Interaction, Ticket

from .choices import Stage
from .lifecycle import actions_from, capa_actions_from
from .models import Capa, CauseCategory, Complaint, ComplaintLot, RootCause

ZONE = ZoneInfo("Asia/Shanghai")
LIST_LIMIT = 200


def complaints_visible_to(user: Any) -> QuerySet[Complaint]:
    """Holders of complaints.view_all_complaints (supervision group, supervisors, management) see
    every complaint; other staff with complaints.view_complaint see those they own, handle, hold a
    CAPA of, or whose customer they manage (CMP-4); nobody else any."""
    qs = Complaint.objects.all()
    if user is None or not user.is_authenticated or not user.is_active or getattr(user, "customer_id", None):
        return qs.none()
    if user.has_perm("complaints.view_all_complaints"):
        return qs
    if not user.has_perm("complaints.view_complaint"):
        return qs.none()
    return qs.filter(
        Q(owner=user)
        | Q(account_manager=user)
        | Q(ticket__assignee=user)
        | Q(pk__in=Capa.objects.filter(owner=user).values("complaint_id"))
    )


def can_work(user: Any, complaint: Complaint) -> bool:
    """The workflow, RCA and CAPA forms: the supervision group, or the complaint's designated owner."""
    return bool(
        user.has_perm("complaints.work_complaint") or (complaint.owner_id and complaint.owner_id == user.pk)
    )


def complaint_list(
    *, user: Any, stage: str = "", severity: str = "", regulator: bool = False, open_only: bool = False
) -> list[Complaint]:
    qs = complaints_visible_to(user).select_related(
        "ticket", "ticket__customer", "ticket__product", "owner", "account_manager"
    )
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    if open_only:
        qs = qs.exclude(stage=Stage.CLOSED)
    if severity in ("general", "major"):
        qs = qs.filter(ticket__complaint_severity=severity)
    if regulator:
        qs = qs.exclude(regulator="")
    return list(qs.order_by("-received_at")[:LIST_LIMIT])


def complaint_board(*, user: Any) -> list[tuple[str, str, list[Complaint]]]:
    """Open complaints by stage (the board's columns, in workflow order) plus the last closed ones."""
    rows = complaint_list(user=user)
    columns: list[tuple[str, str, list[Complaint]]] = []
    for value, label in Stage.choices:
        columns.append((value, str(label), [c for c in rows if c.stage == value][:30]))
    return columns


def complaint_get(*, user: Any, number: str) -> Complaint:
    """Raises Complaint.DoesNotExist when absent or not visible."""
    return (
        complaints_visible_to(user)
        .select_related(
            "ticket",
            "ticket__customer",
            "ticket__product",
            "ticket__assignee",
            "owner",
            "account_manager",
            "am_signed_off_by",
        )
        .get(ticket__number=number)
    )


def complaint_for_ticket(*, user: Any, ticket: Any) -> Complaint | None:
    """The complaint record of a complaint ticket when `user` may see it (the ticket page's link to
    the complaint page); None for other tickets without a query."""
    if getattr(ticket, "problem_type", "") != "complaint":
        return None
    return complaints_visible_to(user).filter(ticket_id=ticket.pk).only("pk", "stage", "ticket_id").first()


@dataclass
class ComplaintPage:
    complaint: Complaint
    lots: list[ComplaintLot]
    root_cause: RootCause | None
    capas: list[Any]
    actions: list[str]
    timeline: list[Any]
    causes: list[CauseCategory]


def complaint_page(*, complaint: Complaint) -> ComplaintPage:

    rca = (
        RootCause.objects.filter(complaint=complaint)
        .select_related("category__parent")
        .prefetch_related("evidence")
        .first()
    )
    capas = list(complaint.capas.select_related("owner").prefetch_related("checks", "evidence_files"))
    for capa in capas:
        capa.user_actions = capa_actions_from(capa.status)  # type: ignore[attr-defined]
    timeline = list(
        Interaction.objects.filter(ticket_id=complaint.ticket_id, data__complaint=True)
        .select_related("author")
        .order_by("-occurred_at", "-pk")[:50]
    )
    causes = list(CauseCategory.objects.filter(is_active=True).select_related("parent"))
    return ComplaintPage(
        complaint=complaint,
        lots=list(complaint.lots.select_related("product")),
        root_cause=rca,
        capas=capas,
        actions=actions_from(complaint.stage),
        timeline=timeline,
        causes=causes,
    )


def cause_tree() -> list[tuple[CauseCategory, list[CauseCategory]]]:
    rows = list(CauseCategory.objects.all())
    tops = [c for c in rows if c.parent_id is None]
    return [(t, [c for c in rows if c.parent_id == t.pk]) for t in tops]


# --- monthly analysis ------------------------------------------------------------------------------


@dataclass
class MonthlyAnalysis:
    month: dt.date
    complaints: int
    customers: int
    rate_per_10k: Decimal
    by_type: list[tuple[str, int]] = field(default_factory=list)
    by_severity: list[tuple[str, int]] = field(default_factory=list)
    by_product: list[tuple[str, int]] = field(default_factory=list)
    by_batch: list[tuple[str, int]] = field(default_factory=list)
    by_cause: list[tuple[str, int]] = field(default_factory=list)
    by_subcause: list[tuple[str, int]] = field(default_factory=list)
    by_region: list[tuple[str, int]] = field(default_factory=list)
    # (cause, complaints this month, complaints in the three months before)
    recurring: list[tuple[str, int, int]] = field(default_factory=list)
    without_rca: int = 0


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(first, dt.time(), ZONE), dt.datetime.combine(nxt, dt.time(), ZONE)


def _sorted(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def monthly_analysis(*, month: dt.date) -> MonthlyAnalysis:
    """The complaints received in the calendar month (Asia/Shanghai), merged tickets excluded:

    - rate per 10,000 customers = complaints ÷ customers registered before the month's end × 10,000,
      rounded half-up to 2 decimals;
    - by type (the ticket's complaint category), severity, product (the ticket's), batch (the
      assessed lots; a complaint counts once per batch), cause category (人机料法环测 of the root
      cause) and sub-cause, region (the ticket's, else the customer's);
    - recurring causes: a cause of this month's complaints that also caused a complaint in the three
      months before, or two or more this month.

    Reads the month's complaint tickets once (index on received_at) and the month's complaint
    records' lots and root causes (their own received_at index)."""

    start, end = month_bounds(month)
    # One pass over the month's complaint tickets (index on received_at), grouped here: the month
    # holds a few thousand complaints even at a million tickets.
    rows = list(
        Ticket.objects.filter(problem_type=ProblemType.COMPLAINT, received_at__gte=start, received_at__lt=end)
        .exclude(status="merged")
        .values_list("category__name", "complaint_severity", "product__name", "region", "customer__region")
        .order_by()
    )
    total = len(rows)
    customers = Customer.objects.filter(created_at__lt=end).count()
    rate = (
        (Decimal(total) * 10000 / Decimal(customers)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if customers
        else Decimal("0.00")
    )
    by_type: Counter[str] = Counter(r[0] or "—" for r in rows)
    by_severity: Counter[str] = Counter(r[1] or "general" for r in rows)
    by_product: Counter[str] = Counter(r[2] or "—" for r in rows)
    by_region: Counter[str] = Counter((r[3] or r[4] or "—").split(" ")[0] for r in rows)
    # The month's complaint records (their own received_at index; merged tickets left out).
    in_month = {
        "complaint__received_at__gte": start,
        "complaint__received_at__lt": end,
        "complaint__ticket__problem_type": ProblemType.COMPLAINT,
    }
    by_batch: Counter[str] = Counter()
    for batch, n in (
        ComplaintLot.objects.filter(**in_month)
        .exclude(complaint__ticket__status="merged")
        .exclude(batch="")
        .values("batch")
        .annotate(n=Count("complaint_id", distinct=True))
        .order_by()
        .values_list("batch", "n")
    ):
        by_batch[batch] += n
    rcas = RootCause.objects.filter(**in_month).exclude(complaint__ticket__status="merged")
    by_cause: Counter[str] = Counter()
    by_sub: Counter[str] = Counter()
    names = {c.pk: c for c in CauseCategory.objects.select_related("parent")}
    month_by_top: Counter[int] = Counter()
    for category_id, n in (
        rcas.values("category_id").annotate(n=Count("id")).order_by().values_list("category_id", "n")
    ):
        cat = names[category_id]
        by_cause[cat.top.name] += n
        month_by_top[cat.top.pk] += n
        if cat.parent_id:
            by_sub[str(cat)] += n
    analysed = sum(month_by_top.values())
    before_start = month_bounds((month.replace(day=1) - dt.timedelta(days=85)).replace(day=1))[0]
    before: Counter[int] = Counter()
    for category_id, n in (
        RootCause.objects.filter(complaint__received_at__gte=before_start, complaint__received_at__lt=start)
        .exclude(complaint__ticket__status="merged")
        .values("category_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("category_id", "n")
    ):
        before[names[category_id].top.pk] += n
    recurring = [
        (names[pk].name, n, before.get(pk, 0))
        for pk, n in month_by_top.items()
        if n >= 2 or before.get(pk, 0) >= 1
    ]
    recurring.sort(key=lambda r: (-(r[1] + r[2]), r[0]))
    return MonthlyAnalysis(
        month=month.replace(day=1),
        complaints=total,
        customers=customers,
        rate_per_10k=rate,
        by_type=_sorted(by_type),
        by_severity=_sorted(by_severity),
        by_product=_sorted(by_product),
        by_batch=_sorted(by_batch),
        by_cause=_sorted(by_cause),
        by_subcause=_sorted(by_sub),
        by_region=_sorted(by_region),
        recurring=recurring,
        without_rca=total - analysed,
    )
