"""Training pages of the staff workspace (STF-2).

Thin: parse a form, call a selector or a service, show the result. Service refusals become form
errors or messages with a 4xx status, never a 500. Everyone on the staff sees their own training
(`/training/`); the curriculum, onboarding, sessions and mentors are managed with
`training.manage_training` (supervisor, supervision group, administrator).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.common.errors import DomainError
from herdesk.workspace.views import _apply_errors, _page, staff_required

from . import selectors, services
from .choices import AssignmentStatus, AttemptStatus, PlanStatus, QuestionKind, SessionStatus
from .forms import (
    AssignForm,
    AttachmentForm,
    ExamForm,
    MentorForm,
    ModuleEditForm,
    ModuleForm,
    NoteForm,
    OnboardingForm,
    QuestionForm,
    ReasonForm,
    SessionForm,
)
from .models import (
    Assignment,
    Attempt,
    Exam,
    Mentorship,
    Module,
    ModuleAttachment,
    OnboardingPlan,
    Question,
    TrainingSession,
)


def _manager(request: HttpRequest) -> None:
    if not selectors.can_manage(request.user):
        raise PermissionDenied


def _nav(request: HttpRequest, active: str) -> dict[str, Any]:
    user: Any = request.user
    return {
        "active": "training",
        "tab": active,
        "tr_manage": selectors.can_manage(user),
        "tr_grade": user.has_perm("training.grade_exam"),
        "tr_reports": selectors.can_manage(user) or user.has_perm("tickets.view_reports"),
    }


def _error_message(request: HttpRequest, exc: Exception) -> int:
    """A refusal as a message; the status to answer with."""
    if isinstance(exc, DomainError):
        messages.error(request, exc.message)
        return int(getattr(exc, "status", 409) or 409)
    assert isinstance(exc, ValidationError)
    messages.error(request, " ".join(exc.messages))
    return 400


def _get(model: Any, pk: int, **extra: Any) -> Any:
    obj = model.objects.filter(pk=pk, **extra).first()
    if obj is None:
        raise Http404
    return obj


# ---------------------------------------------------------------- my training


@staff_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    plan = OnboardingPlan.objects.filter(agent=user).first()
    mine, mentees = selectors.my_mentorships(user)
    ctx = {
        **_nav(request, "home"),
        "assignments": selectors.assignments_of(user),
        "attempts": selectors.attempts_of(user, limit=20),
        "plan": plan,
        "plan_progress": services.onboarding_progress(plan) if plan else None,
        "sessions": selectors.upcoming_sessions_of(user),
        "my_mentor": mine,
        "mentees": mentees,
        "today": timezone.localdate(),
    }
    return _page(request, "training/home.html", ctx)


# ---------------------------------------------------------------- curriculum


@staff_required
@require_http_methods(["GET", "POST"])
def modules(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = ModuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                m = services.module_create(actor=request.user, **form.cleaned_data)
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Module %(c)s created.") % {"c": m.code})
                return redirect("training:module", pk=m.pk)
        status = 400
    ctx = {**_nav(request, "modules"), "modules": list(selectors.modules_list()), "form": form}
    return _page(request, "training/modules.html", ctx, status=status)


def _module_for(request: HttpRequest, pk: int) -> tuple[Module, Assignment | None]:
    """The module for a manager, or for someone it is assigned to (404 otherwise)."""
    try:
        module = selectors.module_get(pk)
    except Module.DoesNotExist:
        raise Http404
    user: Any = request.user
    mine = Assignment.objects.filter(agent=user, module=module).order_by("status", "-created_at").first()
    if not selectors.can_manage(request.user) and mine is None:
        raise Http404
    return module, mine


@staff_required
@require_GET
def module_detail(request: HttpRequest, pk: int) -> HttpResponse:
    module, mine = _module_for(request, pk)
    user: Any = request.user
    manage = selectors.can_manage(request.user)
    ctx = {
        **_nav(request, "modules"),
        "m": module,
        "mine": mine,
        "open": mine if mine and mine.status == AssignmentStatus.ASSIGNED else None,
        "my_attempts": list(Attempt.objects.filter(agent=user, exam__module=module).select_related("exam")),
        # Without an active exam (none, or all retired) the agent completes the module by studying.
        "active_exams": any(e.active for e in module.exams.all()),
    }
    if manage:
        ctx.update(
            edit_form=ModuleEditForm(
                initial={f: getattr(module, f) for f in services.MODULE_FIELDS if f != "code"}, prefix="edit"
            ),
            attach_form=AttachmentForm(),
            exam_form=ExamForm(initial={"title": _("%(m)s exam") % {"m": module.title}}, prefix="exam"),
            assign_form=AssignForm(prefix="assign"),
            assigned=selectors.module_assignments(module),
        )
    return _page(request, "training/module.html", ctx)


@staff_required
@require_POST
def module_action(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    module, mine = _module_for(request, pk)
    back = redirect("training:module", pk=module.pk)
    user: Any = request.user
    if action == "studied":
        if mine is None:
            raise Http404
        try:
            services.assignment_mark_studied(assignment=mine, actor=user)
            messages.success(request, _("Module completed."))
        except (ValidationError, DomainError) as exc:
            _error_message(request, exc)
        return back
    _manager(request)
    form: Any
    try:
        if action == "edit":
            form = ModuleEditForm(request.POST, prefix="edit")
            if not form.is_valid():
                raise ValidationError(form.errors.as_text())
            services.module_update(actor=user, module=module, changes=form.cleaned_data)
            messages.success(request, _("Module saved."))
        elif action == "attach":
            form = AttachmentForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError(_("Choose a file."))
            services.module_attachment_add(actor=user, module=module, upload=form.cleaned_data["file"])
            messages.success(request, _("Attachment added."))
        elif action == "exam":
            form = ExamForm(request.POST, prefix="exam")
            if not form.is_valid():
                raise ValidationError(form.errors.as_text())
            exam = services.exam_create(actor=user, module=module, **form.cleaned_data)
            messages.success(request, _("Exam created; add its questions."))
            return redirect("training:exam", pk=exam.pk)
        elif action == "assign":
            form = AssignForm(request.POST, prefix="assign")
            if not form.is_valid():
                raise ValidationError(form.errors.as_text())
            # Assigning from the page: one assignment per person and module a day (idempotent).
            a = services.assignment_create(
                agent=form.cleaned_data["agent"],
                module_code=module.code,
                reason=form.cleaned_data["reason"],
                source_ref=f"page:{timezone.localdate().isoformat()}",
                actor=user,
            )
            messages.success(
                request, _("Assigned to %(who)s, due %(d)s.") % {"who": a.agent, "d": a.due_on.isoformat()}
            )
        elif action == "cancel":
            raw = request.POST.get("assignment", "")
            a = _get(Assignment, int(raw) if raw.isdigit() else 0, module=module)
            services.assignment_cancel(assignment=a, actor=user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Assignment cancelled."))
        else:
            raise Http404
    except (ValidationError, DomainError) as exc:
        _error_message(request, exc)
    return back


@staff_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    att = _get(ModuleAttachment, pk)
    _module_for(request, att.module_id)
    try:
        path = services.module_attachment_path(att)
        return FileResponse(open(path, "rb"), as_attachment=True, filename=att.original_name)
    except FileNotFoundError:
        raise Http404


@staff_required
@require_http_methods(["GET", "POST"])
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    try:
        exam = selectors.exam_get(pk)
    except Exam.DoesNotExist:
        raise Http404
    form = QuestionForm(request.POST or None, initial={"kind": QuestionKind.SINGLE})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.question_add(
                    actor=request.user,
                    exam=exam,
                    kind=form.cleaned_data["kind"],
                    prompt=form.cleaned_data["prompt"],
                    points=form.cleaned_data["points"],
                    choices=form.parsed_choices(),
                    guidance=form.cleaned_data["guidance"],
                )
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Question added."))
                return redirect("training:exam", pk=exam.pk)
        status = 400
    questions = [q for q in exam.questions.all() if q.active]
    ctx = {
        **_nav(request, "modules"),
        "exam": exam,
        "questions": questions,
        "retired": [q for q in exam.questions.all() if not q.active],
        "form": form,
        "total": sum(q.points for q in questions),
    }
    return _page(request, "training/exam.html", ctx, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def exam_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Title, type and pass mark of an exam; retiring it (a separate form, with a reason)."""
    _manager(request)
    exam = _get(Exam, pk)
    initial = {"title": exam.title, "kind": exam.kind, "pass_mark": exam.pass_mark}
    form = ExamForm(request.POST or None, initial=initial)
    retire = ReasonForm(prefix="retire")
    status = 200
    if request.method == "POST":
        if request.POST.get("retire-reason") is not None:
            retire = ReasonForm(request.POST, prefix="retire")
            form = ExamForm(initial=initial)
            try:
                if not retire.is_valid():
                    raise ValidationError(retire.errors.as_text())
                services.exam_retire(actor=request.user, exam=exam, reason=retire.cleaned_data["reason"])
            except (ValidationError, DomainError) as exc:
                status = _error_message(request, exc)
            else:
                messages.success(request, _("Exam retired: it is no longer taken; past attempts keep it."))
                return redirect("training:exam", pk=exam.pk)
        elif form.is_valid():
            try:
                services.exam_update(actor=request.user, exam=exam, **form.cleaned_data)
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
                status = 400
            else:
                messages.success(request, _("Exam saved."))
                return redirect("training:exam", pk=exam.pk)
        else:
            status = 400
    ctx = {**_nav(request, "modules"), "exam": exam, "form": form, "retire": retire}
    return _page(request, "training/exam_edit.html", ctx, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a question of the bank, or retire it. An answered question is kept for the past attempts:
    the edit replaces it with a copy (services.question_update)."""
    _manager(request)
    question = _get(Question, pk)
    initial = {
        "kind": question.kind,
        "prompt": question.prompt,
        "points": question.points,
        "guidance": question.guidance,
        "choices": "\n".join(("*" if c.correct else "") + c.text for c in question.choices.all()),
    }
    form = QuestionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("retire"):
                services.question_retire(actor=request.user, question=question)
                messages.success(request, _("Question retired: it is no longer asked."))
                return redirect("training:exam", pk=question.exam_id)
            if form.is_valid():
                services.question_update(
                    actor=request.user,
                    question=question,
                    kind=form.cleaned_data["kind"],
                    prompt=form.cleaned_data["prompt"],
                    points=form.cleaned_data["points"],
                    choices=form.parsed_choices(),
                    guidance=form.cleaned_data["guidance"],
                )
                messages.success(request, _("Question saved."))
                return redirect("training:exam", pk=question.exam_id)
            status = 400
        except ValidationError as exc:
            _apply_errors(form, exc)
            status = 400
        except DomainError as exc:
            status = _error_message(request, exc)
    ctx = {**_nav(request, "modules"), "q": question, "exam": question.exam, "form": form}
    return _page(request, "training/question.html", ctx, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def exam_take(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    try:
        exam = selectors.exam_get(pk)
    except Exam.DoesNotExist:
        raise Http404
    if selectors.open_assignment(user, exam.module) is None:
        if Assignment.objects.filter(agent=user, module=exam.module).exists():
            messages.info(request, _("This module is completed; there is nothing to take."))
            return redirect("training:module", pk=exam.module_id)  # type: ignore[return-value]
        raise Http404
    questions = [q for q in exam.questions.all() if q.active]
    status = 200
    if request.method == "POST":
        answers: dict[int, Any] = {}
        for q in questions:
            key = f"q{q.pk}"
            answers[q.pk] = (
                request.POST.get(key, "") if q.kind == QuestionKind.TEXT else request.POST.getlist(key)
            )
        try:
            attempt = services.attempt_submit(exam=exam, agent=user, answers=answers, actor=user)
        except (ValidationError, DomainError) as exc:
            status = _error_message(request, exc)
        else:
            if attempt.status == AttemptStatus.PASSED:
                messages.success(request, _("Passed: %(p)s%%.") % {"p": attempt.percent})
            elif attempt.status == AttemptStatus.FAILED:
                messages.error(
                    request,
                    _("Not passed: %(p)s%%. Study the materials and try again.") % {"p": attempt.percent},
                )
            else:
                messages.info(request, _("Submitted: a grader scores the free-text answers."))
            return redirect("training:attempt", pk=attempt.pk)  # type: ignore[return-value]
    ctx = {**_nav(request, "home"), "exam": exam, "questions": questions}
    return _page(request, "training/take.html", ctx, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    try:
        attempt = selectors.attempt_visible(user, pk)
    except Attempt.DoesNotExist:
        raise Http404
    status = 200
    can_grade = (
        user.has_perm("training.grade_exam")
        and attempt.agent_id != user.pk
        and attempt.status == AttemptStatus.GRADING
    )
    if request.method == "POST":
        if not can_grade:
            raise PermissionDenied
        points: dict[int, int] = {}
        comments: dict[int, str] = {}
        for key in request.POST:
            value = str(request.POST.get(key, ""))
            if key.startswith("a") and key[1:].isdigit():
                if not value.strip().isdigit():
                    messages.error(request, _("Give whole points for every free-text answer."))
                    status = 400
                    break
                points[int(key[1:])] = int(value)
                comments[int(key[1:])] = request.POST.get(f"c{key[1:]}", "")
        if status == 200:
            try:
                services.attempt_grade(attempt=attempt, actor=user, points=points, comments=comments)
            except (ValidationError, DomainError) as exc:
                status = _error_message(request, exc)
            else:
                messages.success(request, _("Graded."))
                return redirect("training:attempt", pk=attempt.pk)  # type: ignore[return-value]
    answers = list(attempt.answers.select_related("question").prefetch_related("question__choices"))
    for a in answers:
        a.chosen = set(a.choice_ids or [])  # type: ignore[attr-defined]
    ctx = {**_nav(request, "home"), "attempt": attempt, "answers": answers, "can_grade": can_grade}
    return _page(request, "training/attempt.html", ctx, status=status)


@staff_required
@require_GET
def grading(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("training.grade_exam"):  # type: ignore[union-attr]
        raise PermissionDenied
    return _page(
        request, "training/grading.html", {**_nav(request, "grading"), "attempts": selectors.grading_queue()}
    )


# ---------------------------------------------------------------- onboarding


@staff_required
@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = OnboardingForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = services.onboarding_start(actor=request.user, **form.cleaned_data)
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Onboarding of %(who)s planned until %(d)s; they take tickets once it is complete.")
                    % {"who": plan.agent, "d": plan.ends_on.isoformat()},
                )
                return redirect("training:plan", pk=plan.pk)
        status = 400
    plans = selectors.plans_list()
    progress = selectors.plan_progress_map(plans)
    rows = [(p, progress[p.pk]) for p in plans]
    ctx = {
        **_nav(request, "onboarding"),
        "rows": rows,
        "form": form,
        "required": list(Module.objects.filter(required_for_onboarding=True, active=True)),
    }
    return _page(request, "training/onboarding.html", ctx, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    plan = OnboardingPlan.objects.select_related("agent", "overridden_by").filter(pk=pk).first()
    if plan is None:
        raise Http404
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.onboarding_override(
                    plan=plan, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
                status = 403 if isinstance(exc, DomainError) and exc.code == "forbidden" else 409
            else:
                messages.success(
                    request, _("Override recorded: %(who)s can take tickets.") % {"who": plan.agent}
                )
                return redirect("training:plan", pk=plan.pk)
        else:
            status = 400
    mine, _x = selectors.my_mentorships(plan.agent)
    ctx = {
        **_nav(request, "onboarding"),
        "plan": plan,
        "assignments": selectors.plan_assignments(plan),
        "progress": services.onboarding_progress(plan),
        "mentor": mine,
        "form": form,
        "can_override": request.user.has_perm("training.override_onboarding")  # type: ignore[union-attr]
        and plan.status == PlanStatus.ACTIVE,
    }
    return _page(request, "training/plan.html", ctx, status=status)


# ---------------------------------------------------------------- sessions and the monthly rule


def _month(request: HttpRequest) -> date:
    raw = (request.GET.get("month") or "")[:7]
    try:
        y, m = raw.split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@staff_required
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    nav = _nav(request, "sessions")
    if not nav["tr_reports"]:
        raise PermissionDenied
    form = SessionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _manager(request)
        if form.is_valid():
            try:
                s = services.session_schedule(actor=request.user, **form.cleaned_data)
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Session scheduled; the participants are notified."))
                return redirect("training:session", pk=s.pk)
        status = 400
    month = _month(request)
    rows = selectors.monthly_rule(month)
    prev = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    ctx = {
        **nav,
        "sessions": selectors.sessions_list(),
        "form": form,
        "month": month,
        "prev": prev,
        "next": nxt,
        "rows": rows,
        "met": sum(1 for r in rows if r.state == "met"),
    }
    return _page(request, "training/sessions.html", ctx, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    try:
        s = selectors.session_get(pk)
    except TrainingSession.DoesNotExist:
        raise Http404
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("do") == "cancel":
                services.session_cancel(session=s, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("Session cancelled."))
            else:
                ids = [int(x) for x in request.POST.getlist("attended") if x.isdigit()]
                services.session_attendance_record(session=s, actor=request.user, attended=ids)
                messages.success(request, _("Attendance recorded."))
        except (ValidationError, DomainError) as exc:
            status = _error_message(request, exc)
        else:
            return redirect("training:session", pk=s.pk)
    roster = selectors.session_roster(s)
    invited = {a.agent_id for a in roster}
    ctx = {
        **_nav(request, "sessions"),
        "s": s,
        "roster": roster,
        "others": [p for p in selectors.staff_people() if p.pk not in invited],
        "can_record": s.status == SessionStatus.SCHEDULED,
    }
    return _page(request, "training/session.html", ctx, status=status)


# ---------------------------------------------------------------- mentors


@staff_required
@require_http_methods(["GET", "POST"])
def mentors(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = MentorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                m = services.mentor_assign(actor=request.user, **form.cleaned_data)
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("%(m)s mentors %(a)s now.") % {"m": m.mentor, "a": m.agent})
                return redirect("training:mentorship", pk=m.pk)
        status = 400
    ctx = {**_nav(request, "mentors"), "mentorships": selectors.mentorships_list(), "form": form}
    return _page(request, "training/mentors.html", ctx, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def mentorship_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    try:
        m = selectors.mentorship_visible(user, pk)
    except Mentorship.DoesNotExist:
        raise Http404
    form = NoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("do") == "end":
                _manager(request)
                services.mentor_end(mentorship=m, actor=user)
                messages.success(request, _("Mentorship ended."))
                return redirect("training:mentorship", pk=m.pk)
            if form.is_valid():
                services.mentor_note_add(mentorship=m, actor=user, body=form.cleaned_data["body"])
                messages.success(request, _("Note added."))
                return redirect("training:mentorship", pk=m.pk)
            status = 400
        except (ValidationError, DomainError) as exc:
            status = _error_message(request, exc)
    can_note = user.pk == m.mentor_id or selectors.can_manage(user)
    ctx = {
        **_nav(request, "mentors" if selectors.can_manage(user) else "home"),
        "m": m,
        "notes": list(m.notes.select_related("author")),
        "form": form,
        "can_note": can_note,
        "assignments": selectors.assignments_of(m.agent),
    }
    return _page(request, "training/mentorship.html", ctx, status=status)
