"""Disputes (QA-1): the agent disputes a submitted review within 3 working days; a second reviewer
(neither the first reviewer nor the agent) upholds or amends it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify
from herdesk.staff.models import User

from ..choices import (
    DisputeDecision,
    ReviewAction,
    ReviewState,
)
from ..models import (
    Dispute,
    Recheck,
    Review,
)
from ._base import _refuse
from .reviews import _review_move, _training_for_failed_criteria, _write_answers


@transaction.atomic
def review_dispute(*, actor: Any, review: Review, reason: str) -> Dispute:
    """The agent disputes within the window; a second reviewer is asked to decide."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.agent_id != actor.pk:
        raise DomainError(_("Only the reviewed agent may dispute. / 只有被评人可以申诉。"), code="forbidden")
    if not reason.strip():
        raise _refuse(_("Say why you dispute the review. / 请填写申诉理由。"), field="reason")
    now = timezone.now()
    if review.dispute_deadline and now > review.dispute_deadline and review.state == ReviewState.SUBMITTED:
        raise _refuse(
            _("The dispute window closed on %(due)s. / 申诉期限已过（%(due)s）。")
            % {"due": timezone.localtime(review.dispute_deadline).strftime("%Y-%m-%d %H:%M")},
            code="domain_error",
        )
    _review_move(review, ReviewAction.DISPUTE, actor=actor)
    dispute = Dispute.objects.create(review=review, raised_by=actor, reason=reason[:4000], raised_at=now)
    deciders = (
        User.objects.filter(
            Q(groups__permissions__codename="decide_dispute")
            | Q(user_permissions__codename="decide_dispute"),
            is_active=True,
        )
        .exclude(pk__in=[review.reviewer_id, review.agent_id])
        .values_list("pk", flat=True)
        .distinct()
    )
    notify(
        users=list(deciders),
        kind=NotificationKind.OTHER,
        data={"text": _("Review QA-%(id)d is disputed and needs a second reviewer.") % {"id": review.pk}},
    )
    return dispute


@transaction.atomic
def dispute_decide(
    *,
    actor: Any,
    review: Review,
    decision: str,
    note: str,
    answers: dict[int, tuple[int | None, str]] | None = None,
) -> Dispute:
    """A second reviewer (not the first, not the agent) upholds or amends the review."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not actor.has_perm("quality.decide_dispute") or actor.pk in (review.reviewer_id, review.agent_id):
        raise DomainError(
            _("A second reviewer decides: not the first reviewer, not the agent. / 须由第二位质检员裁决。"),
            code="forbidden",
        )
    if decision not in DisputeDecision.values:
        raise _refuse(_("Uphold or amend. / 请选择维持或修改。"), field="decision")
    if not note.strip():
        raise _refuse(_("Explain the decision. / 请填写裁决说明。"), field="note")
    dispute = Dispute.objects.select_for_update().get(review=review)
    dispute.original = {
        "score": str(review.score),
        "grade": review.grade,
        "answers": {str(a.criterion_id): [a.rating, a.comment] for a in review.answers.all()},
    }
    if decision == DisputeDecision.AMENDED:
        if not answers:
            raise _refuse(_("An amendment gives the new ratings. / 修改须给出新的评分。"))
        _write_answers(review, answers, complete=True)
    now = timezone.now()
    review.finalised_at = now
    _review_move(review, ReviewAction.AMEND if decision == DisputeDecision.AMENDED else ReviewAction.UPHOLD,
                 actor=actor)  # fmt: skip
    if decision == DisputeDecision.AMENDED and not (
        review.red_line_failed or _training_for_failed_criteria(review)
    ):
        # The amendment removed the failure: its re-check, if not drawn yet, is withdrawn.
        withdrawn = Recheck.objects.filter(review=review, draw__isnull=True).delete()[0]
        if withdrawn:
            audit_record(
                actor=actor, action="quality.recheck_withdrawn", object_type="review", object_id=review.pk,
                data={"rechecks": withdrawn},
            )  # fmt: skip
    dispute.decided_by = actor
    dispute.decided_at = now
    dispute.decision = decision
    dispute.decision_note = note[:4000]
    dispute.save()
    audit_record(
        actor=actor,
        action="quality.dispute_decide",
        object_type="review",
        object_id=review.pk,
        data={"decision": decision, "before": dispute.original["score"], "after": str(review.score)},
    )
    notify(
        users=[review.agent_id, review.reviewer_id],
        kind=NotificationKind.OTHER,
        exclude=actor,
        data={
            "text": _("Dispute of review QA-%(id)d decided: %(decision)s.")
            % {"id": review.pk, "decision": DisputeDecision(decision).label}
        },
    )
    return dispute
