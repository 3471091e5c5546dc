"""Mentors (导师制度, seed 001 §5): one current mentor per agent, and the mentor's notes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError

from ..models import (
    MentorNote,
    Mentorship,
)
from ._base import (
    _local_today,
    _person,
    _require_staff,
    _tell,
)


@transaction.atomic
def mentor_assign(
    *, agent: Any, mentor: Any, actor: Any, started_on: date | None = None, goal: str = ""
) -> Mentorship:
    """导师制度: the agent's current mentor (a previous one ends today)."""
    _require_staff(agent, "agent")
    _require_staff(mentor, "mentor")
    if agent.pk == mentor.pk:
        raise ValidationError({"mentor": _("Nobody mentors themselves.")})
    today = _local_today()
    current = Mentorship.objects.select_for_update().filter(agent=agent, ended_on__isnull=True).first()
    if current is not None:
        if current.mentor_id == mentor.pk:
            return current
        current.ended_on = today
        current.save(update_fields=["ended_on"])
    m = Mentorship.objects.create(
        agent=agent, mentor=mentor, started_on=started_on or today, goal=goal[:300], created_by=_person(actor)
    )
    audit_record(
        actor=actor,
        action="training.mentor_assigned",
        object_type="mentorship",
        object_id=m.pk,
        data={"agent": agent.pk, "mentor": mentor.pk, "previous": getattr(current, "mentor_id", None)},
    )
    _tell(
        [mentor],
        key=f"training-mentor:{m.pk}",
        text=_("You are now the mentor of %(who)s.") % {"who": agent},
        url=f"/training/mentors/{m.pk}/",
    )
    return m


@transaction.atomic
def mentor_end(*, mentorship: Mentorship, actor: Any) -> Mentorship:
    m = Mentorship.objects.select_for_update().get(pk=mentorship.pk)
    if m.ended_on is not None:
        raise DomainError(_("This mentorship has ended already."), code="invalid")
    m.ended_on = _local_today()
    m.save(update_fields=["ended_on"])
    audit_record(
        actor=actor, action="training.mentor_ended", object_type="mentorship", object_id=m.pk, data={}
    )
    return m


@transaction.atomic
def mentor_note_add(*, mentorship: Mentorship, actor: Any, body: str) -> MentorNote:
    """A note of the mentor (or of someone who manages training) on the mentee's progress."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    if getattr(actor, "pk", None) != mentorship.mentor_id and not actor.has_perm("training.manage_training"):
        raise DomainError(_("Only the mentor can write notes here."), code="forbidden")
    note = MentorNote.objects.create(
        mentorship=mentorship, author=_person(actor), body=body[:5000], created_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action="training.mentor_note_added",
        object_type="mentorship",
        object_id=mentorship.pk,
        data={"note": note.pk},
    )
    return note
