"""Training and case-sharing sessions (seed 001 §5: at least one a month): schedule, attendance,
cancellation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError
from herdesk.staff.models import User

from ..choices import (
    SESSION_TRANSITIONS,
    AttendanceStatus,
    SessionKind,
    SessionStatus,
)
from ..models import (
    Attendance,
    Module,
    TrainingSession,
)
from ._base import (
    _move,
    _person,
    _tell,
)


@transaction.atomic
def session_schedule(
    *,
    actor: Any,
    title: str,
    kind: str,
    starts_at: datetime,
    duration_minutes: int = 60,
    location: str = "",
    materials: str = "",
    module: Module | None = None,
    invitees: Iterable[Any] = (),
) -> TrainingSession:
    if kind not in SessionKind.values:
        raise ValidationError({"kind": _("Unknown session type.")})
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the session a title.")})
    if not 10 <= int(duration_minutes) <= 600:
        raise ValidationError({"duration_minutes": _("Give between 10 and 600 minutes.")})
    s = TrainingSession.objects.create(
        title=title.strip()[:200],
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location[:120],
        materials=materials,
        module=module,
        created_by=_person(actor),
        created_at=timezone.now(),
    )
    people = list(dict.fromkeys(getattr(u, "pk", u) for u in invitees))
    Attendance.objects.bulk_create([Attendance(session=s, agent_id=u) for u in people])
    audit_record(
        actor=actor,
        action="training.session_scheduled",
        object_type="training_session",
        object_id=s.pk,
        data={"title": s.title, "kind": kind, "starts_at": starts_at.isoformat(), "invitees": people},
    )
    when = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
    _tell(
        people,
        key=f"training-session:{s.pk}",
        text=_("Training session “%(t)s” at %(w)s, %(l)s.")
        % {"t": s.title, "w": when, "l": s.location or "—"},
        url=f"/training/sessions/{s.pk}/",
    )
    return s


@transaction.atomic
def session_attendance_record(
    *, session: TrainingSession, actor: Any, attended: Iterable[int], at: datetime | None = None
) -> TrainingSession:
    """The session was held: who attended (invited or not); the other invitees were absent."""
    at = at or timezone.now()
    s = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if s.starts_at > at:
        raise DomainError(_("Attendance can be recorded once the session has started."), code="invalid")
    _move(s, SessionStatus.HELD, SESSION_TRANSITIONS)
    s.save(update_fields=["status"])
    present = {int(u) for u in attended}
    known = set(User.objects.filter(pk__in=present, customer__isnull=True).values_list("pk", flat=True))
    if present - known:
        raise ValidationError({"attended": _("Choose staff members.")})
    invited = set(s.attendance.values_list("agent_id", flat=True))
    s.attendance.filter(agent_id__in=present).update(status=AttendanceStatus.ATTENDED)
    s.attendance.exclude(agent_id__in=present).update(status=AttendanceStatus.ABSENT)
    Attendance.objects.bulk_create(
        [
            Attendance(session=s, agent_id=u, status=AttendanceStatus.ATTENDED)
            for u in sorted(present - invited)
        ]
    )
    audit_record(
        actor=actor,
        action="training.session_held",
        object_type="training_session",
        object_id=s.pk,
        data={"attended": sorted(present), "absent": sorted(invited - present)},
    )
    return s


@transaction.atomic
def session_cancel(*, session: TrainingSession, actor: Any, reason: str) -> TrainingSession:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    s = TrainingSession.objects.select_for_update().get(pk=session.pk)
    _move(s, SessionStatus.CANCELLED, SESSION_TRANSITIONS)
    s.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="training.session_cancelled",
        object_type="training_session",
        object_id=s.pk,
        data={"reason": reason[:300]},
    )
    _tell(
        s.attendance.values_list("agent_id", flat=True),
        key=f"training-session-cancelled:{s.pk}",
        text=_("Training session “%(t)s” is cancelled: %(r)s") % {"t": s.title, "r": reason[:200]},
    )
    return s
