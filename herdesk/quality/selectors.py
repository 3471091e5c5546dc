"""Every read of the supervision group and the agent scorecards (permission-filtered)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.analytics.periods import Period, PeriodError, month, quarter
from herdesk.chat.models import ChatMessage, Conversation
from herdesk.common.errors import DomainError
from herdesk.mail.models import EmailMessage
from herdesk.phone.models import CallRecord
from herdesk.staff.models import User
from herdesk.tickets.models import Interaction, Ticket
from herdesk.training.models import Module
from herdesk.training.selectors import assignments_by_source

from .choices import COMPONENTS, AppraisalKind, ReviewState, Source, grade_of, scale_max
from .models import (
    AgentDailyStats,
    Appraisal,
    CalibrationSession,
    Recheck,
    Review,
    ReviewAnswer,
    SampleItem,
    ScoreCriterion,
    ScoreWeights,
)
from .scoring import weighted

# ------------------------------------------------------------------ the reviewed contact


@dataclass
class Contact:
    source: str
    object_id: int
    ticket_id: int | None
    agent_id: int | None
    occurred_at: datetime
    channel: str
    label: str = ""
    ticket: Ticket | None = None
    timeline: list[Interaction] = field(default_factory=list)
    transcript: list[ChatMessage] = field(default_factory=list)
    recording_url: str = ""
    talk_seconds: int | None = None
    email: EmailMessage | None = None


def contact_get(source: str, object_id: int, *, detail: bool = False) -> Contact | None:
    """The contact a review or a sample item points at; with `detail` its timeline, transcript,
    recording and email for the review page."""
    c: Contact | None = None
    if source == Source.TICKET:
        t = Ticket.objects.filter(pk=object_id).first()
        if t:
            c = Contact(source, t.pk, t.pk, t.assignee_id or t.first_contact_owner_id,
                        t.closed_at or t.updated_at, t.channel, t.number, t)  # fmt: skip
    elif source == Source.CALL:
        call = CallRecord.objects.filter(pk=object_id).first()
        if call:
            c = Contact(source, call.pk, call.ticket_id, call.agent_id, call.ended_at or call.created_at,
                        "phone", call.call_id)  # fmt: skip
            c.recording_url = call.recording_url
            c.talk_seconds = call.talk_seconds
    elif source == Source.CHAT:
        conv = Conversation.objects.filter(pk=object_id).first()
        if conv:
            c = Contact(source, conv.pk, conv.ticket_id, conv.agent_id, conv.closed_at or conv.created_at,
                        "chat", f"chat-{conv.pk}")  # fmt: skip
            if detail:
                c.transcript = list(conv.messages.select_related("author").order_by("seq")[:500])
    elif source == Source.EMAIL:
        mail = EmailMessage.objects.filter(pk=object_id).select_related("interaction").first()
        if mail:
            agent = mail.interaction.author_id if mail.interaction_id else None  # type: ignore[union-attr]
            c = Contact(source, mail.pk, mail.ticket_id, agent, mail.created_at, "email", mail.subject[:60])
            c.email = mail
    if c is None:
        return None
    if detail and c.ticket_id:
        c.ticket = c.ticket or Ticket.objects.filter(pk=c.ticket_id).first()
        c.timeline = list(
            Interaction.objects.filter(ticket_id=c.ticket_id)
            .select_related("author")
            .order_by("occurred_at", "id")[:300]
        )
    return c


# ------------------------------------------------------------------ reviews


def is_reviewer(user: Any) -> bool:
    return bool(user.has_perm("quality.add_review"))


def reviews_visible_to(user: Any) -> QuerySet[Review]:
    """The supervision group and supervisors see every review (calibration reviews of an open
    session only their own: blind scoring); an agent sees the reviews of their own contacts."""
    qs = Review.objects.select_related("agent", "reviewer", "ticket", "version__scorecard")
    if user.has_perm("quality.view_review"):
        return qs.filter(
            Q(is_calibration=False) | Q(reviewer=user) | Q(calibration_item__session__closed_at__isnull=False)
        )
    return qs.filter(agent=user, is_calibration=False).exclude(state=ReviewState.DRAFT)


def review_sheet(review: Review) -> list[dict[str, Any]]:
    """The version's sections with each criterion and this review's answer."""
    answers = {a.criterion_id: a for a in ReviewAnswer.objects.filter(review=review)} if review.pk else {}
    sections: dict[int, dict[str, Any]] = {}
    for c in ScoreCriterion.objects.filter(section__version_id=review.version_id).select_related("section"):
        s = sections.setdefault(c.section_id, {"section": c.section, "rows": []})
        a = answers.get(c.pk)
        s["rows"].append(
            {
                "criterion": c,
                "max": scale_max(c.scale),
                "range": list(range(scale_max(c.scale) + 1)),
                "rating": a.rating if a else None,
                "comment": a.comment if a else "",
            }
        )
    return list(sections.values())


def my_review_queue(user: Any) -> QuerySet[Any]:

    return (
        SampleItem.objects.filter(reviewer=user)
        .filter(Q(review__isnull=True) | Q(review__state=ReviewState.DRAFT))
        .select_related("agent", "ticket", "draw__plan")
        .order_by("draw_id", "id")
    )


def disputes_open(user: Any) -> QuerySet[Review]:
    return (
        Review.objects.filter(state=ReviewState.DISPUTED)
        .exclude(Q(reviewer=user) | Q(agent=user))
        .select_related("agent", "reviewer", "dispute")
    )


# ------------------------------------------------------------------ calibration (Krippendorff's α)


@dataclass
class AlphaResult:
    overall: float | None
    per_reviewer: dict[int, float | None]
    units: int


def _alpha(data: list[list[float]]) -> float | None:
    import krippendorff
    import numpy as np

    arr = np.array(data, dtype=float)
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        return None
    # Units rated by at least two coders make the data pairable.
    if not ((~np.isnan(arr)).sum(axis=0) >= 2).any():
        return None
    values = arr[~np.isnan(arr)]
    if len(set(values.tolist())) < 2:
        return 1.0  # every rating identical: perfect agreement (α is undefined, 0/0)
    result = float(krippendorff.alpha(reliability_data=arr, level_of_measurement="interval"))
    return None if math.isnan(result) else round(result, 3)


def calibration_alpha(session: CalibrationSession) -> AlphaResult:
    """Units are (contact, criterion) pairs, values ratings ÷ the top of the scale (interval α).
    Per reviewer: α between that reviewer and the mean of the others (how far they sit from the
    group)."""
    reviewers = sorted(session.reviewers.values_list("pk", flat=True))
    answers = ReviewAnswer.objects.filter(review__calibration_item__session=session).values_list(
        "review__reviewer_id", "review__calibration_item_id", "criterion_id", "rating", "criterion__scale"
    )
    table: dict[tuple[int, int], dict[int, float]] = {}
    for reviewer, item, criterion, rating, scale in answers:
        if rating is None:
            continue
        table.setdefault((item, criterion), {})[reviewer] = rating / scale_max(scale)
    units = sorted(table)
    data = [[table[u].get(r, math.nan) for u in units] for r in reviewers]
    overall = _alpha(data) if units else None
    per: dict[int, float | None] = {}
    for i, r in enumerate(reviewers):
        others = []
        for u in units:
            vals = [table[u][o] for o in reviewers if o != r and o in table[u]]
            others.append(sum(vals) / len(vals) if vals else math.nan)
        per[r] = _alpha([data[i], others]) if units else None
    return AlphaResult(overall, per, len(units))


def calibration_history(limit: int = 20) -> list[CalibrationSession]:
    return list(CalibrationSession.objects.filter(closed_at__isnull=False).order_by("-closed_at")[:limit])


def calibration_progress(session: CalibrationSession) -> dict[int, int]:
    """Reviewer id → number of items scored."""
    rows = (
        Review.objects.filter(calibration_item__session=session)
        .values("reviewer_id")
        .annotate(n=Count("id"))
        .values_list("reviewer_id", "n")
    )
    return dict(rows)


# ------------------------------------------------------------------ agent scorecards (KPI-3)


def period_parse(text: str) -> Period:
    """ "2026-11" (month), "2026Q4" (quarter) or "2026" (year)."""
    text = (text or "").strip()
    try:
        if len(text) == 4 and text.isdigit() and 2000 <= int(text) <= 2100:
            y = int(text)
            return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), text, "year")
        if "Q" in text.upper():
            return quarter(text)
        return month(text)
    except PeriodError as exc:
        raise DomainError(
            _("Enter a period as 2026-11, 2026Q4 or 2026. / 请按 2026-11、2026Q4 或 2026 填写期间。"),
            code="invalid",
        ) from exc


def _previous(p: Period) -> Period:
    if p.kind == "year":
        y = p.first.year - 1
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), str(y), "year")
    return p.previous()


def can_see_agent(user: Any, agent: Any) -> bool:
    """Own scorecard; a team lead their team; supervisors, QA and management everyone."""
    if user.pk == agent.pk or user.has_perm("quality.view_all_scorecards"):
        return True
    return bool(agent.team_id and agent.team.lead_id == user.pk)


def agents_visible_to(user: Any) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True, customer__isnull=True).select_related("team")
    if user.has_perm("quality.view_all_scorecards"):
        return qs.filter(
            groups__name__in=["agent", "tech_engineer", "field_engineer", "account_manager"]
        ).distinct()
    return qs.filter(Q(pk=user.pk) | Q(team__lead=user)).distinct()


def current_weights() -> tuple[dict[str, int], int]:
    row = ScoreWeights.objects.order_by("-id").first()
    if row:
        return {c: int(row.weights.get(c, 0)) for c, _l, _w in COMPONENTS}, row.aht_target_minutes
    return {c: w for c, _l, w in COMPONENTS}, 240


def _pct(n: float, d: float) -> float | None:
    return 100 * n / d if d else None


_SUMS = {
    "resolved": "resolved",
    "fcr": "resolved_first_contact",
    "secs": "handling_seconds",
    "fu": "followed_up_in_time",
    "met": "clocks_met",
    "fin": "clocks_finished",
    "ratings": "ratings",
    "rating_sum": "rating_sum",
    "done": "follow_ups_done",
}


def agents_period(
    agent_ids: list[int], p: Period, weights: dict[str, int], aht_target: int
) -> dict[int, dict[str, Any]]:
    """Per agent: the components (0–100 each, None without data), the weighted score and the grade.
    Three grouped queries whatever the number of agents (rollup, reviews, appraisals)."""
    sums: dict[int, dict[str, int]] = {a: dict.fromkeys(_SUMS, 0) for a in agent_ids}
    rows: Any = (
        AgentDailyStats.objects.filter(agent_id__in=agent_ids, day__gte=p.first, day__lte=p.last)
        .values("agent_id")
        .annotate(**{k: Sum(col) for k, col in _SUMS.items()})
    )
    for row in rows:
        sums[row["agent_id"]] = {k: row[k] or 0 for k in _SUMS}
    start = dt.datetime.combine(p.first, dt.time(), _zone())
    end = dt.datetime.combine(p.last + dt.timedelta(days=1), dt.time(), _zone())
    qa: dict[int, Any] = {}
    for row in (
        Review.objects.filter(
            agent_id__in=agent_ids,
            is_calibration=False,
            state__in=[ReviewState.SUBMITTED, ReviewState.DISPUTED, ReviewState.FINAL],
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .values("agent_id")
        .annotate(avg=Avg("score"), n=Count("id"), red=Count("id", filter=Q(red_line_failed=True)))
    ):
        qa[row["agent_id"]] = row
    appr: dict[tuple[int, str], float] = {
        (r["agent_id"], r["kind"]): float(r["avg"])
        for r in Appraisal.objects.filter(agent_id__in=agent_ids, period=p.label)
        .values("agent_id", "kind")
        .annotate(avg=Avg("score"))
    }
    none = {"avg": None, "n": 0, "red": 0}
    sup, peer = AppraisalKind.SUPERVISOR, AppraisalKind.PEER
    return {
        a: _row(p, sums[a], qa.get(a, none), appr.get((a, sup)), appr.get((a, peer)), weights, aht_target)
        for a in agent_ids
    }


def _row(
    p: Period, s: dict[str, int], q: dict[str, Any], sup: float | None, peer: float | None,
    weights: dict[str, int], aht_target: int,
) -> dict[str, Any]:  # fmt: skip
    aht_min = s["secs"] / 60 / s["resolved"] if s["resolved"] else None
    values: dict[str, float | None] = {
        "on_time": _pct(s["met"], s["fin"]),
        "fcr": _pct(s["fcr"], s["resolved"]),
        "aht": min(100.0, 100 * aht_target / aht_min) if aht_min else None,
        "follow_up": _pct(s["fu"], s["resolved"]),
        "csat": (100 * (s["rating_sum"] / s["ratings"] - 1) / 4) if s["ratings"] else None,
        "qa": float(q["avg"]) if q["avg"] is not None else None,
        "supervisor": sup,
        "peer": peer,
    }
    score = weighted((weights[c], values[c]) for c in values)
    return {
        "period": p,
        "values": values,
        "score": score,
        "grade": grade_of(score),
        "raw": {
            **s,
            "aht_minutes": aht_min,
            "qa_reviews": q["n"],
            "qa_red_lines": q["red"],
            "csat_average": s["rating_sum"] / s["ratings"] if s["ratings"] else None,
        },
    }


def agent_periods(
    agent_id: int, periods: list[Period], weights: dict[str, int], aht_target: int
) -> list[dict]:
    """One agent over several periods (the trend) in three queries: the daily rows, the reviews and
    the appraisals of the whole span, summed per period here."""
    first = min(p.first for p in periods)
    last = max(p.last for p in periods)
    days = list(
        AgentDailyStats.objects.filter(agent_id=agent_id, day__gte=first, day__lte=last).values_list(
            "day", *_SUMS.values()
        )
    )
    start = dt.datetime.combine(first, dt.time(), _zone())
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), _zone())
    reviews = [
        (timezone.localtime(at, _zone()).date(), score, red)
        for at, score, red in Review.objects.filter(
            agent_id=agent_id,
            is_calibration=False,
            state__in=[ReviewState.SUBMITTED, ReviewState.DISPUTED, ReviewState.FINAL],
            occurred_at__gte=start,
            occurred_at__lt=end,
        ).values_list("occurred_at", "score", "red_line_failed")
    ]
    appr: dict[tuple[str, str], list[int]] = {}
    for period, kind, score in Appraisal.objects.filter(
        agent_id=agent_id, period__in=[p.label for p in periods]
    ).values_list("period", "kind", "score"):
        appr.setdefault((period, kind), []).append(score)
    out = []
    for p in periods:
        sums = dict.fromkeys(_SUMS, 0)
        for row in days:
            if p.first <= row[0] <= p.last:
                for k, v in zip(_SUMS, row[1:], strict=True):
                    sums[k] += v or 0
        mine = [(sc, red) for d, sc, red in reviews if p.first <= d <= p.last and sc is not None]
        q = {
            "avg": (sum(sc for sc, _r in mine) / len(mine)) if mine else None,
            "n": len(mine),
            "red": sum(1 for _sc, red in mine if red),
        }
        sup = appr.get((p.label, AppraisalKind.SUPERVISOR))
        peer = appr.get((p.label, AppraisalKind.PEER))
        out.append(
            _row(p, sums, q, sum(sup) / len(sup) if sup else None, sum(peer) / len(peer) if peer else None,
                 weights, aht_target)
        )  # fmt: skip
    return out


def agent_period(agent_id: int, p: Period, weights: dict[str, int], aht_target: int) -> dict[str, Any]:
    return agents_period([agent_id], p, weights, aht_target)[agent_id]


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def agent_scorecard(agent: Any, p: Period, trend: int = 6) -> dict[str, Any]:
    weights, aht_target = current_weights()
    periods = [p]
    for _i in range(trend):
        periods.insert(0, _previous(periods[0]))
    rows = agent_periods(agent.pk, periods, weights, aht_target)
    now = rows[-1]
    history = [{"label": r["period"].label, "score": r["score"], "grade": r["grade"]} for r in rows]
    start = dt.datetime.combine(p.first, dt.time(), _zone())
    end = dt.datetime.combine(p.last + dt.timedelta(days=1), dt.time(), _zone())
    reviews = list(
        Review.objects.filter(agent=agent, is_calibration=False, occurred_at__gte=start, occurred_at__lt=end)
        .exclude(state=ReviewState.DRAFT)
        .select_related("reviewer", "ticket")
        .order_by("-occurred_at")[:50]
    )
    failed = list(
        ReviewAnswer.objects.filter(
            review__in=[r.pk for r in reviews], criterion__training_module_code__gt=""
        )
        .select_related("criterion", "review")
        .order_by("-review_id")
    )
    failed = [a for a in failed if a.rating is not None and a.rating < scale_max(a.criterion.scale)]
    if failed:
        # The loop's training half (QA-4): the assignment each failed criterion made, with its status.
        given = assignments_by_source(sorted({f"quality.review:{a.review_id}" for a in failed}))
        for a in failed:
            made = given[f"quality.review:{a.review_id}"]
            code = a.criterion.training_module_code
            # An attribute for the template only (not a field of ReviewAnswer).
            setattr(a, "assignment", next((x for x in made if x.module.code == code), None))  # noqa: B010
    rechecks = list(Recheck.objects.filter(agent=agent).select_related("draw").order_by("-created_at")[:10])
    recheck_items: dict[int, list[Any]] = {}
    if rechecks:
        for r in rechecks:
            if r.draw_id:
                items = SampleItem.objects.filter(draw_id=r.draw_id, agent=agent, pick="recheck")
                recheck_items[r.pk] = list(
                    Review.objects.filter(item__in=items)
                    .exclude(state=ReviewState.DRAFT)
                    .values_list("score", flat=True)
                )
    return {
        "agent": agent,
        "current": now,
        "weights": weights,
        "aht_target": aht_target,
        "components": [
            {"code": c, "label": label, "weight": weights[c], "value": now["values"][c]}
            for c, label, _w in COMPONENTS
        ],
        "history": history,
        "reviews": reviews,
        "failed": failed,
        "rechecks": [
            {
                "recheck": r,
                "scores": recheck_items.get(r.pk, []),
                "average": (sum(recheck_items[r.pk]) / len(recheck_items[r.pk]))
                if recheck_items.get(r.pk)
                else None,
            }
            for r in rechecks
        ],
        "appraisals": list(Appraisal.objects.filter(agent=agent, period=p.label).select_related("author")),
    }


def team_overview(user: Any, p: Period) -> list[dict[str, Any]]:
    weights, aht_target = current_weights()
    agents = list(agents_visible_to(user).order_by("team__code", "username")[:500])
    rows = agents_period([a.pk for a in agents], p, weights, aht_target)
    return [
        {"agent": a, "score": rows[a.pk]["score"], "grade": rows[a.pk]["grade"], "raw": rows[a.pk]["raw"]}
        for a in agents
    ]


def score_label(score: Decimal | None) -> str:
    return "—" if score is None else f"{score:.2f}"


def training_modules() -> list[tuple[str, str]]:
    """(code, title) of the active training modules a criterion may link to (the loop assigns it)."""
    return list(Module.objects.filter(active=True).order_by("code").values_list("code", "title"))
