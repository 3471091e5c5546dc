"""Root-cause analysis (CMP-3): the 5-why record of a complaint and the controlled cause taxonomy
(人、机、料、法、环、测 and sub-causes)."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable
from typing import Any

from django.apps import apps as django_apps
from django.db import transaction
from django.utils.translation import gettext as _

from herdesk.attachments.services import attachment_add
from herdesk.audit.services import audit_record
from herdesk.common.errors import TransitionNotAllowed

from ..choices import Stage
from ..models import CauseCategory, Complaint, RootCause
from ._common import MAX_WHYS, _audit, _lock, _now, _refuse, _text, _timeline

# --- root cause ------------------------------------------------------------------------------------


@transaction.atomic
def rca_record(
    *,
    complaint: Complaint,
    actor: Any,
    category: CauseCategory | None,
    whys: list[str],
    statement: str = "",
    systemic: bool = False,
    uploads: Iterable[Any] = (),
    at: dt.datetime | None = None,
) -> RootCause:
    """CMP-3: record (or revise) the root-cause analysis: an active cause category of the taxonomy,
    the 5-why chain (1 to 5 answers, in order), the root-cause statement, whether it is systemic, and
    evidence files (stored as the ticket's internal attachments)."""

    at = _now(at)
    complaint = _lock(complaint)
    if complaint.stage == Stage.CLOSED:
        raise TransitionNotAllowed(_("A closed complaint's analysis is no longer changed."))
    errors: dict[str, str] = {}
    if category is None or not category.is_active:
        errors["category"] = _("Choose an active cause category.")
    chain = [str(w).strip() for w in whys if str(w or "").strip()]
    if not chain:
        errors["whys"] = _("Write at least the first why.")
    elif len(chain) > MAX_WHYS:
        errors["whys"] = _("At most five whys.")
    elif any(len(w) > 500 for w in chain):
        errors["whys"] = _("Each answer has at most 500 characters.")
    text = _text(errors, "statement", statement, required=False)
    _refuse(errors)
    assert category is not None
    rca, _created = RootCause.objects.update_or_create(
        complaint=complaint,
        defaults={
            "category": category,
            "whys": chain,
            "statement": text,
            "systemic": bool(systemic),
            "analysed_by": actor if getattr(actor, "pk", None) else None,
            "analysed_at": at,
        },
    )
    files = [attachment_add(ticket=complaint.ticket, actor=actor, upload=u, at=at) for u in uploads]
    if files:
        rca.evidence.add(*files)
    _timeline(
        complaint,
        actor,
        _("Root cause: %(c)s%(s)s — %(w)s")
        % {
            "c": str(category),
            "s": _(" (systemic)") if systemic else "",
            "w": " → ".join(chain)[:500],
        },
        at,
        action="rca",
    )
    _audit(
        actor,
        "rca",
        complaint,
        category=category.code,
        systemic=bool(systemic),
        whys=len(chain),
        files=len(files),
    )
    return rca


@transaction.atomic
def cause_save(
    *,
    actor: Any,
    name: str,
    name_en: str = "",
    code: str = "",
    parent: CauseCategory | None = None,
    category: CauseCategory | None = None,
    is_active: bool = True,
) -> CauseCategory:
    """Add a sub-cause under one of the six top categories, or rename / (de)activate one. The six
    top categories themselves are fixed (人、机、料、法、环、测)."""
    errors: dict[str, str] = {}
    name = _text(errors, "name", name)
    if len(name) > 60:
        errors["name"] = _("At most %(n)s characters.") % {"n": 60}
    if category is None:
        if parent is None or parent.parent_id is not None:
            errors["parent"] = _("Choose one of the six top categories.")
        code = (code or "").strip().lower()
        import re

        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", code):
            errors["code"] = _("A code of letters, digits, - or _.")
        elif CauseCategory.objects.filter(code=code).exists():
            errors["code"] = _("This code is already used.")
    _refuse(errors)
    if category is None:
        category = CauseCategory.objects.create(
            parent=parent,
            code=code,
            name=name,
            name_en=name_en[:60],
            position=CauseCategory.objects.filter(parent=parent).count() + 1,
        )
        action = "cause.add"
    else:
        category.name, category.name_en = name, name_en[:60]
        if category.parent_id is not None:
            category.is_active = bool(is_active)
        category.save()
        action = "cause.change"
    audit_record(
        actor=actor,
        action=f"complaint.{action}",
        object_type="cause_category",
        object_id=category.code,
        data={"name": name, "active": category.is_active},
    )
    return category


def causes_ensure() -> None:
    """The seeded cause taxonomy (CMP-3), as migration 0002 loads it: idempotent. Reference data,
    so a database flushed by a transactional test (or restored without it) gets it back."""
    seed = importlib.import_module("herdesk.complaints.migrations.0002_cause_taxonomy").seed
    seed(django_apps, None)
