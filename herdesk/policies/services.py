"""Policy versions: draft → submitted → approved (management) → effective (POL-2, S1 §六)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.calendars.engine import parse_duration
from herdesk.common.errors import DomainError
from herdesk.notifications import staff_notices

from .choices import Action, ClockKind, Event, VersionStatus
from .models import ClockDefinition, PolicyVersion, ServicePolicy
from .templates import TEMPLATES


def _validate_clock(spec: dict[str, Any]) -> None:
    errors = {}
    if spec.get("kind") not in ClockKind.values:
        errors["kind"] = _("Unknown clock kind.")
    for f in ("start_event", "stop_event"):
        if spec.get(f) not in Event.values:
            errors[f] = _("Unknown event.")
    try:
        parse_duration(spec.get("target", ""))
    except ValueError as exc:
        errors["target"] = str(exc)
    for f in ("warn_actions", "breach_actions"):
        bad = [a for a in spec.get(f, []) if a not in Action.values]
        if bad:
            errors[f] = _("Unknown action: %(a)s") % {"a": ", ".join(bad)}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def version_draft_create(
    *, policy: ServicePolicy, clocks: list[dict[str, Any]], actor: Any = None, notes: str = ""
) -> PolicyVersion:
    """A new draft (the only way to change a policy: approved versions are immutable)."""
    last = policy.versions.order_by("-number").first()
    version = PolicyVersion.objects.create(
        policy=policy,
        number=(last.number + 1) if last else 1,
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for i, spec in enumerate(clocks):
        _validate_clock(spec)
        ClockDefinition.objects.create(version=version, position=i, **spec)
    audit_record(
        actor=actor,
        action="policy.draft",
        object_type="policy_version",
        object_id=version.pk,
        data={"policy": policy.code, "number": version.number},
    )
    return version


def _ensure_status(version: PolicyVersion, *expected: str) -> None:
    if version.status not in expected:
        raise DomainError(
            _("This version is “%(s)s”; that step is not possible.")
            % {"s": VersionStatus(version.status).label},
            code="policy_version_state",
        )


@transaction.atomic
def version_submit(*, version: PolicyVersion, actor: Any) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _ensure_status(version, VersionStatus.DRAFT)
    version.status = VersionStatus.SUBMITTED
    version.submitted_by = actor if getattr(actor, "pk", None) else None
    version.save()
    audit_record(actor=actor, action="policy.submit", object_type="policy_version", object_id=version.pk)
    staff_notices.notify_approval_request(version=version, actor=actor)
    return version


@transaction.atomic
def version_approve(
    *, version: PolicyVersion, actor: Any, effective_from: datetime, check_permission: bool = True
) -> PolicyVersion:
    """Management approves; from `effective_from` new tickets get this version."""
    if check_permission and not (actor and actor.has_perm("policies.approve_policy")):
        raise DomainError(_("Only management can approve a service policy."), code="forbidden", status=403)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _ensure_status(version, VersionStatus.SUBMITTED)
    version.status = VersionStatus.APPROVED
    version.approved_by = actor if getattr(actor, "pk", None) else None
    version.approved_at = timezone.now()
    version.effective_from = effective_from
    version.save()
    audit_record(
        actor=actor,
        action="policy.approve",
        object_type="policy_version",
        object_id=version.pk,
        data={"effective_from": effective_from.isoformat()},
    )
    return version


def clock_definition_update_guard(definition: ClockDefinition) -> None:
    """Editing a clock of an approved version is impossible: make a new version instead."""
    if definition.version.status != VersionStatus.DRAFT:
        raise DomainError(
            _("An approved or submitted version cannot be edited; draft a new version."),
            code="policy_version_immutable",
        )


@transaction.atomic
def clock_definition_update(*, definition: ClockDefinition, actor: Any, **changes: Any) -> ClockDefinition:
    clock_definition_update_guard(definition)
    for k, v in changes.items():
        setattr(definition, k, v)
    _validate_clock(
        {
            f: getattr(definition, f)
            for f in ("kind", "start_event", "stop_event", "target", "warn_actions", "breach_actions")
        }
    )
    definition.save()
    return definition


@transaction.atomic
def templates_install(
    *, active_code: str = "seed-000", effective_from: datetime | None = None, actor: Any = None
) -> dict[str, PolicyVersion]:
    """Install the three shipped templates (idempotent); `active_code` is put in force, approved."""
    effective_from = effective_from or datetime(2020, 1, 1, tzinfo=timezone.get_current_timezone())
    out = {}
    for code, tpl in TEMPLATES.items():
        policy, _created = ServicePolicy.objects.get_or_create(
            code=code, defaults={"name": tpl["name"], "description": tpl["description"]}
        )
        version = policy.versions.order_by("-number").first()
        if version is None:
            version = version_draft_create(
                policy=policy, clocks=tpl["clocks"], actor=actor, notes="shipped template"
            )
            version_submit(version=version, actor=actor)
            version = version_approve(
                version=version, actor=actor, effective_from=effective_from, check_permission=False
            )
        out[code] = version
    ServicePolicy.objects.exclude(code=active_code).update(is_active=False)
    ServicePolicy.objects.filter(code=active_code).update(is_active=True)
    return out
