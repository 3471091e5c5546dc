"""Reviews (QA-1): scoring a sampled contact, the call-back, submitting, and the loop (QA-4): a failed
criterion linked to training assigns the module and opens a re-check. A review's state changes only
in `_review_move`, which enforces `choices.REVIEW_TRANSITIONS`."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.calendars.selectors import working_calendar
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify
from herdesk.tickets.choices import InteractionKind
from herdesk.tickets.services import interaction_add
from herdesk.training.services import assignment_create

from ..choices import (
    CALLBACK_SCRIPT,
    REVIEW_TRANSITIONS,
    CallbackResult,
    ReviewAction,
    ReviewState,
    scale_max,
)
from ..models import (
    Review,
    ReviewAnswer,
    SampleItem,
    ScorecardVersion,
    ScoreCriterion,
)
from ..scoring import Line, score_sheet
from ..selectors import contact_get
from ._base import _refuse
from .plans import recheck_open

log = logging.getLogger(__name__)

DISPUTE_WORKING_DAYS = 3


DISPUTE_CALENDAR = "office"


def _review_move(review: Review, action: str, *, actor: Any) -> str:
    """The one place a review changes state; refuses every pair REVIEW_TRANSITIONS does not list."""
    target = REVIEW_TRANSITIONS.get((review.state, action))
    if target is None:
        raise TransitionNotAllowed(
            _("The review is “%(state)s”; “%(action)s” is not possible. / 当前状态下不能执行该操作。")
            % {"state": ReviewState(review.state).label, "action": ReviewAction(action).label}
        )
    before = review.state
    review.state = target
    review.save()
    audit_record(
        actor=actor,
        action=f"quality.review_{action}",
        object_type="review",
        object_id=review.pk,
        data={"from": before, "to": target, "score": str(review.score), "grade": review.grade},
    )
    return target


def _subject_of(source: str, object_id: int) -> tuple[int | None, Any]:
    """(ticket id, when) of a reviewed contact."""

    contact = contact_get(source, object_id)
    if contact is None:
        raise _refuse(_("The contact no longer exists. / 该服务记录不存在。"), code="not_found")
    return contact.ticket_id, contact.occurred_at


def _may_review(actor: Any) -> None:
    if not actor.has_perm("quality.add_review"):
        raise DomainError(_("Only the supervision group reviews. / 只有监督小组可以评分。"), code="forbidden")


@transaction.atomic
def review_start(*, actor: Any, item: SampleItem) -> Review:
    """The draft review of a sample item (the existing one if already started)."""
    _may_review(actor)
    item = SampleItem.objects.select_for_update().select_related("draw").get(pk=item.pk)
    existing = Review.objects.filter(item=item).first()
    if existing:
        return existing
    if item.agent_id == actor.pk:
        raise DomainError(_("Nobody reviews their own contact. / 不能评审自己的服务记录。"), code="forbidden")
    version = ScorecardVersion.objects.get(pk=item.draw.params["version"])
    review = Review.objects.create(
        version=version,
        item=item,
        source=item.source,
        object_id=item.object_id,
        ticket_id=item.ticket_id,
        agent_id=item.agent_id,
        reviewer=actor,
        occurred_at=item.occurred_at,
    )
    audit_record(actor=actor, action="quality.review_start", object_type="review", object_id=review.pk)
    return review


def _lines(review: Review, answers: dict[int, tuple[int | None, str]]) -> list[Line]:
    criteria = ScoreCriterion.objects.filter(section__version_id=review.version_id)
    out = []
    for c in criteria:
        rating = answers.get(c.pk, (None, ""))[0]
        out.append(Line(c.weight, scale_max(c.scale), rating, c.is_red_line))
    return out


def _write_answers(review: Review, answers: dict[int, tuple[int | None, str]], *, complete: bool) -> None:
    """Validate and store the ratings; `complete` requires every criterion answered (or N/A where
    allowed) and a comment on every deduction."""
    criteria = {c.pk: c for c in ScoreCriterion.objects.filter(section__version_id=review.version_id)}
    errors = []
    for pk in answers:
        if pk not in criteria:
            raise _refuse(_("Unknown criterion. / 评分项不存在。"), code="not_found")
    for pk, c in criteria.items():
        rating, comment = answers.get(pk, (None, ""))
        top = scale_max(c.scale)
        if rating is not None and not 0 <= rating <= top:
            errors.append(
                _("“%(name)s”: rate 0 to %(max)d. / “%(name)s”的评分应在 0 到 %(max)d 之间。")
                % {"name": c.name, "max": top}
            )
        if not complete:
            continue
        if rating is None and not c.na_allowed:
            errors.append(_("“%(name)s” is not rated. / “%(name)s”尚未评分。") % {"name": c.name})
        if rating is not None and rating < top and not (comment or "").strip():
            errors.append(
                _("“%(name)s”: a deduction needs a comment. / “%(name)s”扣分须填写说明。") % {"name": c.name}
            )
    if errors:
        raise _refuse(" ".join(str(e) for e in errors))
    ReviewAnswer.objects.filter(review=review).delete()
    ReviewAnswer.objects.bulk_create(
        ReviewAnswer(review=review, criterion_id=pk, rating=answers.get(pk, (None, ""))[0],
                     comment=(answers.get(pk, (None, ""))[1] or "")[:2000])
        for pk in criteria
    )  # fmt: skip
    result = score_sheet(_lines(review, answers))
    review.score = result.score
    review.grade = result.grade
    review.red_line_failed = result.red_line_failed


@transaction.atomic
def review_save(
    *,
    actor: Any,
    review: Review,
    answers: dict[int, tuple[int | None, str]],
    comment: str = "",
    callback: dict[str, str] | None = None,
    submit: bool = False,
) -> Review:
    """Save the ratings (a draft), optionally the call-back result, and with `submit` submit it:
    the agent is told and has DISPUTE_WORKING_DAYS working days to dispute."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.reviewer_id != actor.pk:
        raise DomainError(
            _("This review belongs to another reviewer. / 这是其他质检员的评分。"), code="forbidden"
        )
    if review.state != ReviewState.DRAFT:
        raise TransitionNotAllowed(_("A submitted review cannot be edited. / 已提交的评分不能修改。"))
    _write_answers(review, answers, complete=submit)
    review.comment = comment[:4000]
    if callback is not None:
        _callback_apply(review, callback)
    review.save()
    if submit:
        _submit(review, actor)
    return review


def _callback_apply(review: Review, callback: dict[str, str]) -> None:
    result = callback.get("result", "")
    if result and result not in CallbackResult.values:
        raise _refuse(_("Unknown call-back result. / 回访结果无效。"), field="callback_result")
    review.callback_result = result
    review.callback_notes = (callback.get("notes") or "")[:2000]
    if result:
        review.callback_script = callback.get("script") or str(CALLBACK_SCRIPT) % {
            "ticket": getattr(review.ticket, "number", "-")
        }
        review.callback_at = review.callback_at or timezone.now()


def dispute_deadline(submitted_at: datetime) -> datetime:

    return working_calendar(DISPUTE_CALENDAR).add_working_days(submitted_at, DISPUTE_WORKING_DAYS)


def _submit(review: Review, actor: Any) -> None:
    now = timezone.now()
    review.submitted_at = now
    review.dispute_deadline = None if review.is_calibration else dispute_deadline(now)
    _review_move(review, ReviewAction.SUBMIT, actor=actor)
    if review.is_calibration:
        return
    if review.ticket_id:
        interaction_add(
            ticket=review.ticket,  # type: ignore[arg-type]
            actor=actor,
            kind=InteractionKind.SYSTEM_EVENT,
            body=_("Supervision review QA-%(id)d recorded (监督小组抽查已评分).") % {"id": review.pk},
            is_public=False,
            is_automatic=True,
            data={"quality_review": review.pk},
        )
    if review.agent_id:
        notify(
            users=[review.agent_id],
            kind=NotificationKind.OTHER,
            exclude=actor,
            data={
                "text": _(
                    "Your contact was reviewed: %(score)s (%(grade)s). You may dispute it until %(due)s."
                )
                % {
                    "score": review.score,
                    "grade": review.get_grade_display(),
                    "due": timezone.localtime(review.dispute_deadline).strftime("%Y-%m-%d %H:%M")
                    if review.dispute_deadline
                    else "",
                }
            },
        )
    _failure_loop(review, actor)


def failed_criteria(review: Review) -> list[ScoreCriterion]:
    """The criteria this review deducted on (rating below the top of the scale)."""
    out = []
    for a in review.answers.select_related("criterion"):
        if a.rating is not None and a.rating < scale_max(a.criterion.scale):
            out.append(a.criterion)
    return out


def _training_for_failed_criteria(review: Review) -> list[tuple[Any, str, str]]:
    """(agent, module code, reason) for every failed criterion linked to a training module.

    The loop's training half: `_failure_loop` assigns each module to the agent through
    `training.services.assignment_create` in the review's transaction (idempotent per review)."""
    if review.agent is None or review.is_calibration:
        return []
    return [
        (
            review.agent,
            c.training_module_code,
            _("Review QA-%(id)d: “%(name)s” failed") % {"id": review.pk, "name": c.name},
        )
        for c in failed_criteria(review)
        if c.training_module_code
    ]


def _failure_loop(review: Review, actor: Any) -> None:
    """A red line or a failed criterion linked to training: training to assign and a re-check of
    the agent's next contacts (plan's recheck_count; 5 for ad-hoc reviews)."""
    training = _training_for_failed_criteria(review)
    if not (review.red_line_failed or training) or review.agent is None:
        return
    count = review.item.draw.plan.recheck_count if review.item is not None else 5
    if training:
        audit_record(
            actor=actor,
            action="quality.training_due",
            object_type="review",
            object_id=review.pk,
            data={"agent": review.agent_id, "modules": [m for _a, m, _r in training]},
        )
        for agent, module_code, reason in training:
            try:
                with transaction.atomic():  # a refusal rolls back only this assignment
                    assignment_create(
                        agent=agent,
                        module_code=module_code,
                        reason=reason,
                        source_ref=f"quality.review:{review.pk}",
                        actor=actor,
                    )
            except DomainError:
                # A criterion naming a module that was retired or never made: the review stands
                # (the audit entry above names the module); the supervision group fixes the link.
                log.warning("review %s: no training module %r to assign", review.pk, module_code)
    if count:
        recheck_open(
            actor=actor,
            agent=review.agent,
            count=count,
            reason=_("Review QA-%(id)d failed") % {"id": review.pk},
            review=review,
        )


@transaction.atomic
def review_accept(*, actor: Any, review: Review) -> Review:
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.agent_id != actor.pk:
        raise DomainError(
            _("Only the reviewed agent accepts a review. / 只有被评人可以确认。"), code="forbidden"
        )
    review.finalised_at = timezone.now()
    _review_move(review, ReviewAction.ACCEPT, actor=actor)
    return review


def reviews_finalise_due(*, now: datetime | None = None) -> int:
    """Submitted reviews whose dispute window has closed become final (the periodic sweep)."""
    now = now or timezone.now()
    done = 0
    for pk in Review.objects.filter(state=ReviewState.SUBMITTED, dispute_deadline__lt=now).values_list(
        "pk", flat=True
    )[:500]:
        with transaction.atomic():
            review = Review.objects.select_for_update().get(pk=pk)
            if review.state != ReviewState.SUBMITTED:
                continue
            review.finalised_at = now
            _review_move(review, ReviewAction.FINALISE, actor=None)
            done += 1
    return done
