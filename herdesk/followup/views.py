"""Pages of the follow-up app (CLS-2): the worklist, the task page (call script, survey link,
unreachable), the reviews (复盘), the follow-up rate, and the customer's survey page (no sign-in).

Thin: parse a form, call a selector or a service, show the result. Refusals become form errors or
a clear page with a 4xx status, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.common.errors import DomainError
from herdesk.tickets.selectors import tickets_visible_to
from herdesk.workspace.views import _apply_errors, _page, staff_required

from . import selectors, services
from .choices import ReviewState, TaskState
from .forms import CallForm, ReviewCloseForm, ReviewDecideForm, SuggestionForm, SurveyForm, yes_no
from .models import FollowUpReview, FollowUpTask, ReviewAction

WORKLIST_PAGE = 25  # as the queues (PAGE_SIZE); soonest due first, the counts above say how many in all


def _worker(request: HttpRequest) -> Any:
    user: Any = request.user
    if not user.has_perm("followup.change_followuptask"):
        raise PermissionDenied
    return user


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@staff_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """The follow-up worklist: mine, my team's, or everyone's (supervisors); soonest due first."""
    user = _worker(request)
    scopes = ["mine", "team"] + (["all"] if selectors.can_see_all(user) else [])
    scope = request.GET.get("scope", "mine")
    scope = scope if scope in scopes else "mine"
    state = request.GET.get("state", "active")
    state = state if state in ("active", "all", *TaskState.values) else "active"
    due = request.GET.get("due", "")
    due = due if due in ("", "overdue", "today") else ""
    filters = selectors.Filters(
        scope=scope,
        state=state,
        due=due,
        team=_int(request.GET.get("team")),
        agent=_int(request.GET.get("agent")),
    )
    now = timezone.now()
    rows = selectors.worklist(user=user, filters=filters, now=now, limit=WORKLIST_PAGE)
    # Two URL prefixes instead of two reverse() per row (a fifth of the page's time at 100 rows).
    ticket_prefix = reverse("workspace:ticket", args=["0"])[:-2]
    task_prefix = reverse("followup:task", args=[0])[:-2]
    return _page(
        request,
        "followup/worklist.html",
        {
            "rows": rows,
            "ticket_prefix": ticket_prefix,
            "task_prefix": task_prefix,
            "page_size": WORKLIST_PAGE,
            "filters": filters,
            "scopes": scopes,
            "states": TaskState.choices,
            "counts": selectors.worklist_counts(user=user, scope=scope, now=now),
            "now": now,
            "active": "follow_up",
        },
    )


@staff_required
@require_GET
def count_fragment(request: HttpRequest) -> HttpResponse:
    """htmx: the sidebar's count of my follow-ups to do."""
    user = _worker(request)
    return render(request, "followup/_count.html", {"n": selectors.my_active_count(user=user)})


def _task_or_404(request: HttpRequest, pk: int) -> FollowUpTask:
    try:
        return selectors.task_for_user(user=request.user, pk=pk)
    except FollowUpTask.DoesNotExist:
        raise Http404


def _task_page(
    request: HttpRequest, task: FollowUpTask, *, form: CallForm | None = None, status: int = 200
) -> HttpResponse:
    return _page(
        request,
        "followup/task.html",
        {
            "task": task,
            "ticket": task.ticket,
            "form": form or CallForm(),
            "attempts": list(task.attempt_rows.select_related("by")),
            "links": list(task.links.order_by("-created_at")[:5]),
            "review": FollowUpReview.objects.filter(task=task).first(),
            "is_active": task.state in ("open", "attempting", "survey_sent"),
            "active": "follow_up",
        },
        status=status,
    )


@staff_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _worker(request)
    return _task_page(request, _task_or_404(request, pk))


@staff_required
@require_POST
def task_call(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    task = _task_or_404(request, pk)
    form = CallForm(request.POST)
    if form.is_valid():
        try:
            task = services.call_record(task=task, actor=user, **form.service_kwargs())
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Recorded: %(state)s.") % {"state": TaskState(task.state).label})
            return redirect("followup:task", pk=task.pk)
    return _task_page(request, _task_or_404(request, pk), form=form, status=422)


@staff_required
@require_POST
def task_survey(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    task = _task_or_404(request, pk)
    try:
        services.survey_send(task=task, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _task_page(request, _task_or_404(request, pk), status=exc.status)
    messages.success(request, _("The survey link is on its way to the customer."))
    return redirect("followup:task", pk=task.pk)


@staff_required
@require_POST
def task_unreachable(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    task = _task_or_404(request, pk)
    try:
        services.task_mark_unreachable(task=task, actor=user, note=request.POST.get("note", "")[:200])
    except DomainError as exc:
        messages.error(request, exc.message)
        return _task_page(request, _task_or_404(request, pk), status=exc.status)
    return redirect("followup:task", pk=task.pk)


# --- reviews (复盘) ---------------------------------------------------------------------------------


@staff_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    state = request.GET.get("state", "active")
    state = state if state in ("active", "all", *ReviewState.values) else "active"
    return _page(
        request,
        "followup/reviews.html",
        {
            "rows": selectors.reviews_for(user=user, state=state),
            "state": state,
            "states": ReviewState.choices,
            "active": "follow_up_reviews",
        },
    )


def _review_or_404(request: HttpRequest, pk: int) -> FollowUpReview:
    try:
        return selectors.review_for_user(user=request.user, pk=pk)
    except FollowUpReview.DoesNotExist:
        raise Http404


def _review_page(
    request: HttpRequest,
    review: FollowUpReview,
    *,
    decide: ReviewDecideForm | None = None,
    close: ReviewCloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    return _page(
        request,
        "followup/review.html",
        {
            "review": review,
            "ticket": review.ticket,
            "actions": list(review.actions.select_related("owner")),
            "decide": decide or ReviewDecideForm(initial={"findings": review.findings}),
            "close": close or ReviewCloseForm(),
            "can_decide": user.pk == review.owner_id or user.has_perm("followup.change_followupreview"),
            "overdue": review.state != ReviewState.CLOSED and review.due_at < timezone.now(),
            "active": "follow_up_reviews",
        },
        status=status,
    )


@staff_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _worker(request)
    return _review_page(request, _review_or_404(request, pk))


@staff_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    review = _review_or_404(request, pk)
    form = ReviewDecideForm(request.POST)
    if form.is_valid():
        try:
            services.review_decide(
                review=review,
                actor=user,
                findings=form.cleaned_data["findings"],
                actions=form.actions(review.owner_id or user.pk),
                reopen_ticket=form.cleaned_data["reopen_ticket"],
            )
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
        else:
            return redirect("followup:review", pk=pk)
    return _review_page(request, _review_or_404(request, pk), decide=form, status=422)


@staff_required
@require_POST
def review_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    review = _review_or_404(request, pk)
    form = ReviewCloseForm(request.POST)
    if form.is_valid():
        try:
            services.review_close(review=review, actor=user, closure_note=form.cleaned_data["closure_note"])
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
        else:
            return redirect("followup:review", pk=pk)
    return _review_page(request, _review_or_404(request, pk), close=form, status=422)


@staff_required
@require_POST
def review_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    review = _review_or_404(request, pk)
    try:
        services.review_reopen(review=review, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _review_page(request, _review_or_404(request, pk), status=exc.status)
    return redirect("followup:review", pk=pk)


@staff_required
@require_POST
def review_action_done(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    user = _worker(request)
    review = _review_or_404(request, pk)
    row = ReviewAction.objects.filter(review=review, pk=action).first()
    if row is None:
        raise Http404
    services.review_action_done(action=row, actor=user)
    return redirect("followup:review", pk=pk)


# --- the follow-up rate (supervisors) --------------------------------------------------------------


@staff_required
@require_GET
def rate(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("tickets.view_reports"):
        raise PermissionDenied
    default = timezone.localdate().strftime("%Y-%m")
    month = request.GET.get("month", "") or default
    try:
        data = selectors.follow_up_rate(month=month)
    except ValueError:
        month = default
        data = selectors.follow_up_rate(month=month)
    today = timezone.localdate()
    months = [
        date(today.year - (today.month - i <= 0), (today.month - i - 1) % 12 + 1, 1).strftime("%Y-%m")
        for i in range(12)
    ]
    return _page(
        request,
        "followup/rate.html",
        {"data": data, "month": month, "months": months, "active": "follow_up_rate"},
    )


# --- the customer's survey (public: the signed link is the authority) --------------------------------


def _survey_language(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "") or request.POST.get("lang", "")
    if lang in ("en", "zh-hans"):
        return lang
    return "en" if (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en") else "zh-hans"


def _answer_page(
    request: HttpRequest,
    token: str,
    ticket_of: Callable[[str], Any],
    answer: Callable[..., Any],
) -> HttpResponse:
    """The signed answer page shared by the survey link and the resolution notice's rating link:
    `ticket_of(token)` checks the link and names the ticket, `answer(token=…, score=…,
    fully_solved=…, comment=…)` records it. Used, tampered or expired links get a clear 400/410."""
    lang = _survey_language(request)
    with translation.override(lang):
        try:
            ticket = ticket_of(token)
            form = SurveyForm(request.POST or None)
            if request.method == "POST" and form.is_valid():
                try:
                    answer(
                        token=token,
                        score=form.cleaned_data["score"],
                        fully_solved=yes_no(form.cleaned_data["fully_solved"]),
                        comment=form.cleaned_data["comment"],
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc)
                else:
                    return render(request, "followup/survey_done.html", {"lang": lang})
        except DomainError as exc:
            context = {"message": exc.message, "lang": lang}
            return render(request, "followup/survey_error.html", context, status=exc.status)
        return render(
            request,
            "followup/survey.html",
            {"form": form, "ticket": ticket, "lang": lang, "token": token},
            status=422 if request.method == "POST" else 200,
        )


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey page: small (no script, one inline style sheet), Chinese or English, 1–5 rating,
    fully solved y/n, comment."""
    return _answer_page(
        request, token, lambda t: services.survey_link_get(token=t).task.ticket, services.survey_answer
    )


@never_cache
@require_http_methods(["GET", "POST"])
def rating(request: HttpRequest, token: str) -> HttpResponse:
    """The rating page of the resolution notice's signed link (QA-2): the survey page's form and
    weight, answered as the follow-up (services.rating_answer)."""
    return _answer_page(request, token, lambda t: services.rating_link_get(token=t), services.rating_answer)


# --- the suggestion box (public, anonymous allowed) -------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def suggest(request: HttpRequest) -> HttpResponse:
    """QA-2: anyone may leave a suggestion (anonymous allowed); it becomes a suggestion ticket."""
    lang = _survey_language(request)
    with translation.override(lang):
        form = SuggestionForm(request.POST or None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                d = form.cleaned_data
                try:
                    ticket = services.suggestion_submit(
                        text=d["text"],
                        name=d["name"],
                        phone=d["phone"],
                        email=d["email"],
                        anonymous=d["anonymous"],
                        client_key=request.META.get("REMOTE_ADDR", ""),
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                    status = exc.status
                except ValidationError as exc:
                    _apply_errors(form, exc)
                    status = 422
                else:
                    return render(request, "followup/suggest_done.html", {"lang": lang, "ticket": ticket})
            else:
                status = 422
        return render(request, "followup/suggest.html", {"form": form, "lang": lang}, status=status)


# --- rating after service on the portal (QA-2) ------------------------------------------------------


@require_POST
def rate_ticket(request: HttpRequest, number: str) -> HttpResponse:
    """The signed-in portal customer rates their resolved request (the form is on the portal's
    ticket page); back to that page with a message."""

    user: Any = request.user
    if not (user.is_authenticated and getattr(user, "customer_id", None)):
        raise PermissionDenied
    ticket = tickets_visible_to(user).filter(number=number).first()
    if ticket is None:
        raise Http404
    form = SurveyForm(request.POST)
    back = reverse("portal:ticket", args=[ticket.number])
    if not form.is_valid():
        messages.error(request, _("Choose a score from 1 to 5 and whether the problem is fully solved."))
        return redirect(back)
    try:
        services.service_rating_record(
            ticket=ticket,
            actor=user,
            score=form.cleaned_data["score"],
            fully_solved=bool(yes_no(form.cleaned_data["fully_solved"])),
            comment=form.cleaned_data["comment"],
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [])))
        return redirect(back)
    messages.success(request, _("Thank you for rating our service."))
    return redirect(back)
