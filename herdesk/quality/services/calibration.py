"""Calibration sessions (QA-4): several reviewers score the same contacts blind; the session's
Krippendorff's α is stored on closing. Calibration reviews never count for the agent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError, TransitionNotAllowed

from ..choices import (
    VersionState,
)
from ..models import (
    CalibrationItem,
    CalibrationSession,
    Review,
    ScorecardVersion,
)
from ..selectors import calibration_alpha, contact_get
from ._base import _real, _refuse
from .reviews import _submit, _write_answers


@transaction.atomic
def calibration_create(
    *,
    actor: Any,
    title: str,
    version: ScorecardVersion,
    reviewers: Iterable[Any],
    items: Iterable[tuple[str, int]],
) -> CalibrationSession:
    """Several reviewers score the same contacts blind; their reviews never count for the agent."""
    reviewers = list(reviewers)
    items = list(dict.fromkeys(items))
    if len(reviewers) < 2:
        raise _refuse(_("Calibration needs at least two reviewers. / 校准至少需要两名质检员。"))
    if not items:
        raise _refuse(_("Choose the contacts to score. / 请选择要评分的服务记录。"))
    if version.state != VersionState.PUBLISHED:
        raise _refuse(_("Calibrate with a scorecard version in use. / 请使用已发布的评分表版本。"))
    session = CalibrationSession.objects.create(title=title[:120] or "calibration", version=version,
                                                created_by=_real(actor))  # fmt: skip
    session.reviewers.set(reviewers)

    for source, object_id in items:
        contact = contact_get(source, object_id)
        if contact is None:
            raise _refuse(_("The contact no longer exists. / 该服务记录不存在。"), code="not_found")
        CalibrationItem.objects.create(
            session=session,
            source=source,
            object_id=object_id,
            ticket_id=contact.ticket_id,
            agent_id=contact.agent_id,
        )
    audit_record(
        actor=actor,
        action="quality.calibration_create",
        object_type="calibration",
        object_id=session.pk,
        data={"reviewers": [r.pk for r in reviewers], "items": len(items)},
    )
    return session


@transaction.atomic
def calibration_review(
    *, actor: Any, item: CalibrationItem, answers: dict[int, tuple[int | None, str]]
) -> Review:
    """A reviewer's blind score of one calibration item (submitted at once; no dispute)."""
    session = CalibrationSession.objects.select_for_update().get(pk=item.session_id)
    if session.closed_at:
        raise TransitionNotAllowed(_("The session is closed. / 校准已结束。"))
    if not session.reviewers.filter(pk=actor.pk).exists():
        raise DomainError(
            _("You are not a reviewer of this session. / 您不是本次校准的质检员。"), code="forbidden"
        )
    if Review.objects.filter(calibration_item=item, reviewer=actor).exists():
        raise _refuse(_("You have scored this contact already. / 您已为该记录评分。"), code="domain_error")
    contact_time = timezone.now()
    review = Review.objects.create(
        version=session.version,
        calibration_item=item,
        is_calibration=True,
        source=item.source,
        object_id=item.object_id,
        ticket_id=item.ticket_id,
        agent_id=item.agent_id,
        reviewer=actor,
        occurred_at=contact_time,
    )
    _write_answers(review, answers, complete=True)
    review.save()
    _submit(review, actor)
    return review


@transaction.atomic
def calibration_close(*, actor: Any, session: CalibrationSession) -> CalibrationSession:
    """Reveal the scores and store the session's α."""

    session = CalibrationSession.objects.select_for_update().get(pk=session.pk)
    if session.closed_at:
        return session
    session.alpha = calibration_alpha(session).overall
    session.closed_at = timezone.now()
    session.save(update_fields=["alpha", "closed_at"])
    audit_record(
        actor=actor,
        action="quality.calibration_close",
        object_type="calibration",
        object_id=session.pk,
        data={"alpha": session.alpha},
    )
    return session
