"""Writes for saved views and saved replies."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record

from .choices import Queue
from .models import SavedReply, SavedView

MAX_VIEWS_PER_USER = 50


@transaction.atomic
def savedview_save(*, owner: Any, name: str, queue: str, params: dict[str, Any]) -> SavedView:
    """Create or replace the owner's view called `name`. Locks nothing (one row per owner and name;
    the unique constraint settles a race). Raises ValidationError keyed by field."""
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 60:
        errors["name"] = _("At most %(n)d characters (got %(got)d).") % {"n": 60, "got": len(name)}
    if queue not in Queue.values:
        errors["queue"] = _("Unknown queue.")
    clean = {str(k)[:40]: str(v)[:100] for k, v in (params or {}).items() if v not in (None, "")}
    if len(clean) > 20:
        errors["params"] = _("Too many filters.")
    if (
        not errors
        and not SavedView.objects.filter(owner=owner, name=name).exists()
        and SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS_PER_USER
    ):
        errors["name"] = _("You already have %(n)d saved views; delete one first.") % {
            "n": MAX_VIEWS_PER_USER
        }
    if errors:
        raise ValidationError(errors)
    view, _created = SavedView.objects.update_or_create(
        owner=owner, name=name, defaults={"queue": queue, "params": clean}
    )
    return view


@transaction.atomic
def savedview_delete(*, owner: Any, pk: int) -> None:
    """Delete one of the owner's own views (another user's id is simply not found)."""
    SavedView.objects.filter(owner=owner, pk=pk).delete()


@transaction.atomic
def saved_reply_save(*, reply: SavedReply, actor: Any) -> SavedReply:
    """Validate and save a saved reply (Django admin calls this); audited because agents send the text
    to customers."""
    reply.full_clean()
    created = reply.pk is None
    reply.save()
    audit_record(
        actor=actor,
        action="saved_reply.create" if created else "saved_reply.change",
        object_type="saved_reply",
        object_id=reply.pk,
        data={"title": reply.title},
    )
    return reply
