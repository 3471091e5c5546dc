"""Pages of the supervision group (QA-1, QA-3, QA-4) and of agent scorecards (KPI-3).

Thin: parse the POST, call a service or a selector, show the result. A refused input becomes a
message with its 4xx status (DomainError.status), never a 500.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.common.errors import DomainError
from herdesk.staff.models import Team, User
from herdesk.tickets.models import Ticket
from herdesk.workspace.views import _page, staff_required

from . import selectors, services
from .choices import (
    CALLBACK_SCRIPT,
    COMPONENTS,
    AppraisalKind,
    CallbackResult,
    Cycle,
    DisputeDecision,
    Grade,
    ReviewState,
    Source,
    VersionState,
)
from .models import (
    CalibrationItem,
    CalibrationSession,
    InspectionPlan,
    Recheck,
    Review,
    SampleDraw,
    SampleItem,
    Scorecard,
    ScoreCriterion,
)


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):  # type: ignore[union-attr]
        raise PermissionDenied


def _refused(request: HttpRequest, exc: DomainError) -> int:
    messages.error(request, exc.message)
    return exc.status


def _ctx(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    return {
        "active": "quality",
        "q_reviewer": user.has_perm("quality.add_review"),
        "q_plans": user.has_perm("quality.view_inspectionplan"),
        "q_cards": user.has_perm("quality.view_scorecard"),
        "q_all": user.has_perm("quality.view_all_scorecards"),
        **extra,
    }


def _answers_from_post(request: HttpRequest, version_id: int) -> dict[int, tuple[int | None, str]]:
    out: dict[int, tuple[int | None, str]] = {}
    for c in ScoreCriterion.objects.filter(section__version_id=version_id):
        raw = (request.POST.get(f"r-{c.pk}") or "").strip()
        rating: int | None
        if raw in ("", "na"):
            rating = None
        else:
            try:
                rating = int(raw)
            except ValueError:
                raise DomainError(_("A rating is a whole number. / 评分须为整数。"), code="invalid") from None
        out[c.pk] = (rating, (request.POST.get(f"c-{c.pk}") or "").strip()[:2000])
    return out


# ------------------------------------------------------------------ home


@staff_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    ctx = _ctx(
        request,
        queue=list(selectors.my_review_queue(user)[:100]) if user.has_perm("quality.add_review") else [],
        disputes=list(selectors.disputes_open(user)[:50]) if user.has_perm("quality.decide_dispute") else [],
        mine=list(
            Review.objects.filter(agent=user, is_calibration=False)
            .exclude(state=ReviewState.DRAFT)
            .select_related("reviewer", "ticket")
            .order_by("-id")[:50]
        ),
        plans=list(InspectionPlan.objects.filter(is_active=True)[:20])
        if user.has_perm("quality.view_inspectionplan")
        else [],
    )
    return _page(request, "quality/home.html", ctx)


# ------------------------------------------------------------------ plans and samples


@staff_required
@require_http_methods(["GET", "POST"])
def plans(request: HttpRequest) -> HttpResponse:
    _need(request, "quality.view_inspectionplan")
    status = 200
    if request.method == "POST":
        _need(request, "quality.add_inspectionplan")
        p = request.POST
        try:
            card = Scorecard.objects.get(pk=int(p.get("scorecard") or 0))
            team = Team.objects.filter(pk=int(p["team"])).first() if (p.get("team") or "").isdigit() else None
            plan = services.plan_create(
                actor=request.user,
                name=p.get("name", ""),
                cycle=p.get("cycle", ""),
                sources=p.getlist("sources"),
                scorecard=card,
                reviewers=User.objects.filter(pk__in=[int(x) for x in p.getlist("reviewers") if x.isdigit()]),
                percentage=p.get("percentage", ""),
                per_agent_minimum=int(p.get("per_agent_minimum") or 0),
                stratify_by_channel=bool(p.get("stratify_by_channel")),
                recheck_count=int(p.get("recheck_count") or 0),
                team=team,
            )
        except (Scorecard.DoesNotExist, ValueError):
            messages.error(
                request, _("Choose a scorecard and enter whole numbers. / 请选择评分表并填写整数。")
            )
            status = 400
        except DomainError as exc:
            status = _refused(request, exc)
        else:
            messages.success(request, _("Plan “%(name)s” created.") % {"name": plan.name})
            return redirect("quality:plan", pk=plan.pk)
    ctx = _ctx(
        request,
        plans=InspectionPlan.objects.select_related("scorecard", "team").annotate(n_draws=Count("draws")),
        cycles=Cycle.choices,
        sources=Source.choices,
        cards=Scorecard.objects.filter(versions__state=VersionState.PUBLISHED).distinct(),
        teams=Team.objects.order_by("code"),
        reviewer_choices=User.objects.filter(
            Q(groups__permissions__codename="add_review") | Q(is_superuser=True), is_active=True
        )
        .distinct()
        .order_by("username"),
        post=request.POST if request.method == "POST" else None,
    )
    return _page(request, "quality/plans.html", ctx, status)


@staff_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.view_inspectionplan")
    plan = get_object_or_404(InspectionPlan.objects.select_related("scorecard", "team"), pk=pk)
    start, end = services.cycle_period(plan, timezone.now())
    ctx = _ctx(
        request,
        plan=plan,
        reviewers=plan.reviewers.order_by("username"),
        draws=plan.draws.annotate(n=Count("items")).order_by("-period_start")[:30],
        next_period=(start, end - dt.timedelta(seconds=1)),
        drawn=plan.draws.filter(period_start=start).exists(),
        rechecks=Recheck.objects.filter(draw__isnull=True).select_related("agent")[:50],
        agents=selectors.agents_visible_to(request.user).order_by("username")[:300],
    )
    return _page(request, "quality/plan.html", ctx)


def _local_date(text: str) -> dt.datetime | None:
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return dt.datetime.combine(d, dt.time(), timezone.get_current_timezone())


@staff_required
@require_POST
def plan_draw(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.add_inspectionplan")
    plan = get_object_or_404(InspectionPlan, pk=pk)
    period = None
    if request.POST.get("start") and request.POST.get("end"):
        start, end = _local_date(request.POST["start"]), _local_date(request.POST["end"])
        if start is None or end is None:
            messages.error(request, _("Enter dates as YYYY-MM-DD. / 日期格式应为 YYYY-MM-DD。"))
            return redirect("quality:plan", pk=pk)
        period = (start, end + dt.timedelta(days=1))
    seed = request.POST.get("seed", "").strip()
    try:
        draw = services.sample_draw(
            actor=request.user, plan=plan, period=period, seed=int(seed) if seed.isdigit() else None
        )
    except DomainError as exc:
        _refused(request, exc)
        return redirect("quality:plan", pk=pk)
    messages.success(request, _("Sample drawn: %(n)d contacts.") % {"n": draw.items.count()})
    return redirect("quality:draw", pk=draw.pk)


@staff_required
@require_POST
def plan_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.add_inspectionplan")
    plan = get_object_or_404(InspectionPlan, pk=pk)
    agent = User.objects.filter(pk=int(request.POST.get("agent") or 0), customer__isnull=True).first()
    if agent is None:
        messages.error(request, _("Choose an agent. / 请选择坐席。"))
        return redirect("quality:plan", pk=pk)
    try:
        services.recheck_open(
            actor=request.user,
            agent=agent,
            count=int(request.POST.get("count") or plan.recheck_count),
            reason=request.POST.get("reason", "") or _("Re-check requested"),
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    else:
        messages.success(request, _("The next cycle samples %(agent)s's next contacts.") % {"agent": agent})
    return redirect("quality:plan", pk=pk)


@staff_required
@require_GET
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.view_inspectionplan")
    draw = get_object_or_404(SampleDraw.objects.select_related("plan", "drawn_by"), pk=pk)
    items = list(
        draw.items.select_related("agent", "reviewer", "ticket", "review").order_by("channel", "id")[:1000]
    )
    ctx = _ctx(request, draw=draw, items=items, verified=services.sample_verify(draw))
    return _page(request, "quality/draw.html", ctx)


@staff_required
@require_POST
def item_review(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.add_review")
    item = get_object_or_404(SampleItem, pk=pk)
    try:
        review = services.review_start(actor=request.user, item=item)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("quality:draw", pk=item.draw_id)
    return redirect("quality:review", pk=review.pk)


# ------------------------------------------------------------------ reviews


def _review_or_404(request: HttpRequest, pk: int) -> Review:
    review = selectors.reviews_visible_to(request.user).filter(pk=pk).first()
    if review is None:
        raise Http404
    return review


@staff_required
@require_http_methods(["GET", "POST"])
def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    user: Any = request.user
    status = 200
    if request.method == "POST":
        try:
            services.review_save(
                actor=user,
                review=review,
                answers=_answers_from_post(request, review.version_id),
                comment=request.POST.get("comment", ""),
                callback={
                    "result": request.POST.get("callback_result", ""),
                    "notes": request.POST.get("callback_notes", ""),
                },
                submit=request.POST.get("submit") == "1",
            )
        except DomainError as exc:
            status = _refused(request, exc)
        else:
            review.refresh_from_db()
            if review.state == ReviewState.SUBMITTED:
                messages.success(request, _("Review submitted: %(score)s.") % {"score": review.score})
            else:
                messages.success(request, _("Draft saved."))
            return redirect("quality:review", pk=review.pk)
    return _review_render(request, review, status)


def _review_render(request: HttpRequest, review: Review, status: int = 200) -> HttpResponse:
    user: Any = request.user
    contact = selectors.contact_get(review.source, review.object_id, detail=True)
    dispute = getattr(review, "dispute", None)
    editable = review.state == ReviewState.DRAFT and review.reviewer_id == user.pk
    ctx = _ctx(
        request,
        review=review,
        contact=contact,
        sheet=selectors.review_sheet(review),
        editable=editable,
        dispute=dispute,
        can_dispute=review.agent_id == user.pk and review.state == ReviewState.SUBMITTED,
        can_decide=review.state == ReviewState.DISPUTED
        and user.has_perm("quality.decide_dispute")
        and user.pk not in (review.reviewer_id, review.agent_id),
        callback_results=CallbackResult.choices,
        callback_script=review.callback_script
        or str(CALLBACK_SCRIPT) % {"ticket": getattr(contact.ticket if contact else None, "number", "-")},
        decisions=DisputeDecision.choices,
        failed_training=services._training_for_failed_criteria(review)
        if review.state != ReviewState.DRAFT
        else [],
    )
    return _page(request, "quality/review.html", ctx, status)


@staff_required
@require_POST
def review_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    try:
        services.review_dispute(actor=request.user, review=review, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _review_render(request, review, _refused(request, exc))
    messages.success(request, _("Dispute sent; a second reviewer decides."))
    return redirect("quality:review", pk=pk)


@staff_required
@require_POST
def review_accept(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    try:
        services.review_accept(actor=request.user, review=review)
    except DomainError as exc:
        return _review_render(request, review, _refused(request, exc))
    messages.success(request, _("Review accepted."))
    return redirect("quality:review", pk=pk)


@staff_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    decision = request.POST.get("decision", "")
    try:
        answers = (
            _answers_from_post(request, review.version_id) if decision == DisputeDecision.AMENDED else None
        )
        services.dispute_decide(
            actor=request.user,
            review=review,
            decision=decision,
            note=request.POST.get("note", ""),
            answers=answers,
        )
    except DomainError as exc:
        return _review_render(request, review, _refused(request, exc))
    messages.success(request, _("Dispute decided."))
    return redirect("quality:review", pk=pk)


# Scorecard pages (list, versions, drafting sections and criteria): views_scorecards.py.


# ------------------------------------------------------------------ calibration


@staff_required
@require_http_methods(["GET", "POST"])
def calibration_list(request: HttpRequest) -> HttpResponse:
    _need(request, "quality.view_review")
    status = 200
    user: Any = request.user
    if request.method == "POST":
        _need(request, "quality.add_calibrationsession")
        try:
            card = Scorecard.objects.get(pk=int(request.POST.get("scorecard") or 0))
            items = []
            for token in (request.POST.get("items") or "").replace(",", " ").split():
                source, sep, ident = token.partition(":")
                if sep and source in Source.values and ident.isdigit():
                    items.append((source, int(ident)))
                    continue
                ticket = Ticket.objects.filter(number=token).first()
                if ticket is None:
                    raise ValueError(token)
                items.append((Source.TICKET.value, ticket.pk))
            session = services.calibration_create(
                actor=user,
                title=request.POST.get("title", ""),
                version=services.version_in_use(card),
                reviewers=User.objects.filter(
                    pk__in=[int(x) for x in request.POST.getlist("reviewers") if x.isdigit()]
                ),
                items=items,
            )
        except (Scorecard.DoesNotExist, ValueError):
            messages.error(
                request,
                _("Choose a scorecard and list contacts as ticket numbers or source:id (chat:12). / "
                  "请选择评分表，并以工单号或 来源:编号 列出服务记录。"),
            )  # fmt: skip
            status = 400
        except DomainError as exc:
            status = _refused(request, exc)
        else:
            return redirect("quality:calibration", pk=session.pk)
    sessions = CalibrationSession.objects.select_related("version__scorecard").annotate(n=Count("items"))[:50]
    history = selectors.calibration_history()
    ctx = _ctx(
        request,
        sessions=sessions,
        history=list(reversed(history)),
        cards=Scorecard.objects.filter(versions__state=VersionState.PUBLISHED).distinct(),
        reviewer_choices=User.objects.filter(groups__permissions__codename="add_review", is_active=True)
        .distinct()
        .order_by("username"),
        can_create=user.has_perm("quality.add_calibrationsession"),
    )
    return _page(request, "quality/calibration_list.html", ctx, status)


@staff_required
@require_GET
def calibration_page(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    session = get_object_or_404(CalibrationSession.objects.select_related("version__scorecard"), pk=pk)
    is_member = session.reviewers.filter(pk=user.pk).exists()
    if not (is_member or user.has_perm("quality.view_review")):
        raise PermissionDenied
    items = list(session.items.select_related("ticket", "agent"))
    mine = set(
        Review.objects.filter(calibration_item__session=session, reviewer=user).values_list(
            "calibration_item_id", flat=True
        )
    )
    revealed = session.closed_at is not None
    alpha = selectors.calibration_alpha(session) if revealed else None
    scores: dict[int, list[Any]] = {}
    if revealed:
        for r in Review.objects.filter(calibration_item__session=session).select_related("reviewer"):
            scores.setdefault(r.calibration_item_id or 0, []).append(r)
    reviewers = list(session.reviewers.order_by("username"))
    ctx = _ctx(
        request,
        session=session,
        items=[{"item": i, "done": i.pk in mine, "scores": scores.get(i.pk, [])} for i in items],
        is_member=is_member,
        revealed=revealed,
        alpha=alpha,
        per_reviewer=[(r, alpha.per_reviewer.get(r.pk) if alpha else None) for r in reviewers],
        progress=selectors.calibration_progress(session),
        reviewers=reviewers,
        can_close=not revealed and user.has_perm("quality.add_calibrationsession"),
    )
    return _page(request, "quality/calibration.html", ctx)


@staff_required
@require_http_methods(["GET", "POST"])
def calibration_item(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    item = get_object_or_404(CalibrationItem.objects.select_related("session__version"), pk=pk)
    if not item.session.reviewers.filter(pk=user.pk).exists():
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        try:
            services.calibration_review(
                actor=user, item=item, answers=_answers_from_post(request, item.session.version_id)
            )
        except DomainError as exc:
            status = _refused(request, exc)
        else:
            messages.success(request, _("Score recorded (hidden from the others until the session closes)."))
            return redirect("quality:calibration", pk=item.session_id)
    blank = Review(version=item.session.version)
    ctx = _ctx(
        request,
        item=item,
        contact=selectors.contact_get(item.source, item.object_id, detail=True),
        sheet=selectors.review_sheet(blank),
        done=Review.objects.filter(calibration_item=item, reviewer=user).exists(),
    )
    return _page(request, "quality/calibration_item.html", ctx, status)


@staff_required
@require_POST
def calibration_close(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.add_calibrationsession")
    session = get_object_or_404(CalibrationSession, pk=pk)
    services.calibration_close(actor=request.user, session=session)
    return redirect("quality:calibration", pk=pk)


# ------------------------------------------------------------------ agent scorecards (KPI-3)


def _period(request: HttpRequest) -> Any:
    text = (request.GET.get("period") or "").strip()[:8]
    if not text:
        text = f"{timezone.localdate():%Y-%m}"
    return selectors.period_parse(text)


@staff_required
@require_GET
def agents(request: HttpRequest) -> HttpResponse:
    try:
        period = _period(request)
    except DomainError as exc:
        status = _refused(request, exc)
        period, rows = selectors.period_parse(f"{timezone.localdate():%Y-%m}"), []
    else:
        status, rows = 200, selectors.team_overview(request.user, period)
    return _page(request, "quality/agents.html", _ctx(request, period=period, rows=rows), status)


def _agent_or_404(request: HttpRequest, pk: int) -> User:
    agent = User.objects.filter(pk=pk, customer__isnull=True).select_related("team").first()
    if agent is None or not selectors.can_see_agent(request.user, agent):
        raise Http404
    return agent


@staff_required
@require_GET
def agent_page(request: HttpRequest, pk: int) -> HttpResponse:
    agent = _agent_or_404(request, pk)
    try:
        period = _period(request)
    except DomainError as exc:
        status = _refused(request, exc)
        period = selectors.period_parse(f"{timezone.localdate():%Y-%m}")
    else:
        status = 200
    card = selectors.agent_scorecard(agent, period)
    user: Any = request.user
    ctx = _ctx(
        request,
        card=card,
        period=period,
        can_comment=user.pk != agent.pk and user.has_perm("quality.add_appraisal"),
        can_peer=user.pk != agent.pk and user.team_id and user.team_id == agent.team_id,
        kinds=AppraisalKind.choices,
        max_history=max([float(h["score"] or 0) for h in card["history"]] + [100]),
    )
    return _page(request, "quality/agent.html", ctx, status)


@staff_required
@require_POST
def agent_appraise(request: HttpRequest, pk: int) -> HttpResponse:
    agent = _agent_or_404(request, pk)
    period = (request.POST.get("period") or "")[:8]
    try:
        services.appraisal_record(
            actor=request.user,
            agent=agent,
            period=period,
            kind=request.POST.get("kind", ""),
            score=int(request.POST.get("score") or -1),
            comment=request.POST.get("comment", ""),
        )
    except ValueError:
        messages.error(request, _("A score is 0 to 100. / 分数应在 0 到 100 之间。"))
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Comment saved."))
    return redirect(f"{request.path.rsplit('/appraise/', 1)[0]}/?period={period}")


@staff_required
@require_GET
def agent_export(request: HttpRequest, pk: int) -> HttpResponse:
    import xlsxwriter

    agent = _agent_or_404(request, pk)
    try:
        period = _period(request)
    except DomainError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    card = selectors.agent_scorecard(agent, period)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(_("Scorecard")[:31])
    sheet.write_row(0, 0, [_("Agent"), str(agent), _("Period"), period.label], bold)
    sheet.write_row(2, 0, [_("Component"), _("Weight"), _("Score (0–100)")], bold)
    for i, c in enumerate(card["components"], 3):
        sheet.write_row(i, 0, [str(c["label"]), c["weight"]])
        if c["value"] is not None:
            sheet.write_number(i, 2, round(c["value"], 2))
    row = 3 + len(card["components"]) + 1
    cur = card["current"]
    sheet.write_row(row, 0, [_("Total"), 100], bold)
    if cur["score"] is not None:
        sheet.write_number(row, 2, float(cur["score"]), bold)
    sheet.write(row + 1, 0, _("Grade"), bold)
    sheet.write(row + 1, 2, str(dict(selectors_grades()).get(cur["grade"], "")))
    sheet.set_column(0, 0, 36)
    trend = book.add_worksheet(_("Trend")[:31])
    trend.write_row(0, 0, [_("Period"), _("Score"), _("Grade")], bold)
    for i, h in enumerate(card["history"], 1):
        trend.write(i, 0, h["label"])
        if h["score"] is not None:
            trend.write_number(i, 1, float(h["score"]))
        trend.write(i, 2, str(dict(selectors_grades()).get(h["grade"], "")))
    reviews = book.add_worksheet(_("QA reviews")[:31])
    reviews.write_row(0, 0, [_("Review"), _("Time"), _("Reviewer"), _("Score"), _("Grade"), _("State")], bold)
    for i, r in enumerate(card["reviews"], 1):
        reviews.write_row(
            i,
            0,
            [
                f"QA-{r.pk}",
                timezone.localtime(r.occurred_at).strftime("%Y-%m-%d %H:%M"),
                str(r.reviewer),
                float(r.score) if r.score is not None else "",
                r.get_grade_display(),
                r.get_state_display(),
            ],
        )
    book.close()
    resp = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="scorecard-{agent.username}-{period.label}.xlsx"'
    return resp


def selectors_grades() -> list[tuple[str, Any]]:

    return list(Grade.choices)


@staff_required
@require_http_methods(["GET", "POST"])
def weights(request: HttpRequest) -> HttpResponse:
    _need(request, "quality.view_all_scorecards")
    status = 200
    if request.method == "POST":
        _need(request, "quality.change_scoreweights")
        try:
            services.weights_set(
                actor=request.user,
                weights={c: request.POST.get(f"w-{c}", "0") for c, _l, _w in COMPONENTS},  # type: ignore[misc]
                aht_target_minutes=int(request.POST.get("aht_target_minutes") or 0),
            )
        except ValueError:
            messages.error(request, _("Enter whole numbers. / 请填写整数。"))
            status = 400
        except DomainError as exc:
            status = _refused(request, exc)
        else:
            messages.success(request, _("Weights saved."))
            return redirect("quality:weights")
    current, aht = selectors.current_weights()
    rows = [{"code": c, "label": label, "weight": current[c]} for c, label, _w in COMPONENTS]
    ctx = _ctx(
        request,
        rows=rows,
        aht=aht,
        can_edit=request.user.has_perm("quality.change_scoreweights"),  # type: ignore[union-attr]
    )
    return _page(request, "quality/weights.html", ctx, status)
