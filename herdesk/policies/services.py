"""Policy versions: draft → submitted → approved (management) → effective (POL-2, S1 §六)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.selectors import audit_actor_ids, audit_count
from herdesk.audit.services import audit_record
from herdesk.calendars.engine import parse_duration
from herdesk.calendars.models import Calendar
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
        duration = parse_duration(spec.get("target", ""))
    except ValueError as exc:
        errors["target"] = _("Enter a target like 30m, 4h, 2h30m or 3wd (working days).") + f" ({exc})"
    else:
        # A zero target would breach at the start event: every ticket late before anyone could act.
        if not duration.working_days and not duration.seconds:
            errors["target"] = _("The target must be longer than zero.")
    if "calendar_code" in spec and not Calendar.objects.filter(code=spec["calendar_code"]).exists():
        errors["calendar_code"] = _("Unknown calendar “%(c)s”.") % {"c": spec["calendar_code"]}
    if "warn_at_percent" in spec:
        pct = spec["warn_at_percent"]
        if not isinstance(pct, int) or not 1 <= pct <= 99:
            errors["warn_at_percent"] = _("The warning threshold is a percentage of the target, 1–99.")
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


# The fields of a clock a draft may change in the editor (the clock table of POL-1); which clocks a
# version has, and their start/stop events, come from the version it was copied from.
EDITABLE_CLOCK_FIELDS = ("target", "calendar_code", "warn_at_percent", "warn_actions", "breach_actions")
# Everything that makes up a clock, compared by `selectors.version_diff` and copied into drafts.
CLOCK_FIELDS = (
    "kind",
    "label",
    "applies_to",
    "start_event",
    "stop_event",
    "pause_statuses",
    "target",
    "calendar_code",
    "warn_at_percent",
    "warn_actions",
    "breach_actions",
    "restarts",
)


def _open_version(policy: ServicePolicy) -> PolicyVersion | None:
    return (
        policy.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.SUBMITTED])
        .order_by("-number")
        .first()
    )


@transaction.atomic
def version_draft_from(
    *, source: PolicyVersion, actor: Any, notes: str = "", policy: ServicePolicy | None = None
) -> PolicyVersion:
    """A new draft of ``policy`` (default: the source's) holding a copy of ``source``'s clocks.

    S1 §六: the regulation is revised by a new version that management approves; the version in
    force is copied, changed as a draft and never edited itself. One unfinished (draft or
    submitted) version per policy at a time, so two revisions cannot race to approval.
    """
    if not (actor and actor.has_perm("policies.add_policyversion")):
        raise DomainError(_("You may not draft service policy versions."), code="forbidden", status=403)
    policy = ServicePolicy.objects.select_for_update().get(pk=(policy or source.policy).pk)
    pending = _open_version(policy)
    if pending is not None:
        raise DomainError(
            _("Version %(n)s of this policy is still a draft or awaiting approval; finish it first.")
            % {"n": pending.number},
            code="policy_version_pending",
        )
    clocks = [{f: getattr(c, f) for f in CLOCK_FIELDS} for c in source.clocks.all()]
    version = version_draft_create(policy=policy, clocks=clocks, actor=actor, notes=notes)
    audit_record(
        actor=actor,
        action="policy.copy",
        object_type="policy_version",
        object_id=version.pk,
        data={"from": f"{source.policy.code} v{source.number}", "from_id": source.pk},
    )
    return version


@transaction.atomic
def version_notes_set(*, version: PolicyVersion, actor: Any, notes: str) -> PolicyVersion:
    _require_drafter(actor)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _ensure_status(version, VersionStatus.DRAFT)
    if version.notes != notes:
        version.notes = notes
        version.save(update_fields=["notes"])
        audit_record(
            actor=actor,
            action="policy.notes",
            object_type="policy_version",
            object_id=version.pk,
            data={"notes": notes},
        )
    return version


def _require_drafter(actor: Any) -> None:
    if not (actor and actor.has_perm("policies.change_policyversion")):
        raise DomainError(_("You may not edit service policy drafts."), code="forbidden", status=403)


def _approvers() -> list[int]:
    """Active staff who may approve (management): the recipients of the pending-approval notice."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    User = get_user_model()
    perm = Q(content_type__app_label="policies", codename="approve_policy")
    from django.contrib.auth.models import Permission

    perm_ids = list(Permission.objects.filter(perm).values_list("pk", flat=True))
    return list(
        User.objects.filter(is_active=True, customer__isnull=True)
        .filter(Q(groups__permissions__in=perm_ids) | Q(user_permissions__in=perm_ids))
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def version_submit(*, version: PolicyVersion, actor: Any) -> PolicyVersion:
    """Hand a draft to management; each approver gets an in-app notice (the one notification service)."""
    version = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
    _ensure_status(version, VersionStatus.DRAFT)
    version.status = VersionStatus.SUBMITTED
    version.submitted_by = actor if getattr(actor, "pk", None) else None
    version.save()
    audit_record(actor=actor, action="policy.submit", object_type="policy_version", object_id=version.pk)
    staff_notices.notify_approval_request(version=version, actor=actor)
    return version


def _submissions(version: PolicyVersion) -> int:
    return audit_count(object_type="policy_version", object_id=version.pk, action="policy.submit")


def drafters_of(version: PolicyVersion) -> set[int]:
    """Everyone who shaped the version: its creator, whoever edited its clocks or notes, the submitter."""
    ids = {version.created_by_id, version.submitted_by_id}
    ids |= audit_actor_ids(
        object_type="policy_version",
        object_id=version.pk,
        actions=["policy.draft", "policy.clock_update", "policy.notes", "policy.submit"],
    )
    return {i for i in ids if i is not None}


@transaction.atomic
def version_approve(
    *,
    version: PolicyVersion,
    actor: Any,
    effective_from: datetime,
    comment: str = "",
    check_permission: bool = True,
) -> PolicyVersion:
    """Management approves; from `effective_from` new tickets get this version.

    S1 §六 (修订需经管理层审批): only a holder of policies.approve_policy, and never someone who drafted
    or edited the version (two-person rule). `check_permission=False` is for installing the shipped
    templates, where no person is involved.
    """
    if check_permission and not (actor and actor.has_perm("policies.approve_policy")):
        raise DomainError(_("Only management can approve a service policy."), code="forbidden", status=403)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _ensure_status(version, VersionStatus.SUBMITTED)
    if check_permission and getattr(actor, "pk", None) in drafters_of(version):
        raise DomainError(
            _("You drafted or edited this version; another member of management must approve it."),
            code="policy_two_person_rule",
            status=403,
        )
    if check_permission:
        later = (
            PolicyVersion.objects.filter(
                policy_id=version.policy_id, status=VersionStatus.APPROVED, effective_from__gt=effective_from
            )
            .order_by("-effective_from")
            .first()
        )
        if later is not None:
            # Versions take effect in the order they are approved: otherwise the older version,
            # scheduled later, would silently replace this one on its date.
            raise DomainError(
                _("v%(n)s is already approved from %(at)s; this version cannot take effect before it.")
                % {
                    "n": later.number,
                    "at": timezone.localtime(later.effective_from).strftime("%Y-%m-%d %H:%M"),
                },
                code="policy_effective_order",
                field="effective_from",
            )
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
        data={"effective_from": effective_from.isoformat(), "comment": comment},
    )
    return version


@transaction.atomic
def version_reject(*, version: PolicyVersion, actor: Any, comment: str) -> PolicyVersion:
    """Management sends a submitted version back to draft, saying why (kept in the history)."""
    if not (actor and actor.has_perm("policies.approve_policy")):
        raise DomainError(_("Only management can reject a service policy."), code="forbidden", status=403)
    if not comment.strip():
        raise ValidationError({"comment": _("Say why the version is rejected.")})
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _ensure_status(version, VersionStatus.SUBMITTED)
    version.status = VersionStatus.DRAFT
    version.submitted_by = None
    version.save(update_fields=["status", "submitted_by"])
    audit_record(
        actor=actor,
        action="policy.reject",
        object_type="policy_version",
        object_id=version.pk,
        data={"comment": comment.strip()},
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
    """Change a clock of a draft. Only EDITABLE_CLOCK_FIELDS; validated; audited with before/after."""
    unknown = set(changes) - set(EDITABLE_CLOCK_FIELDS)
    if unknown:
        raise ValidationError(
            _("These clock fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    if actor is not None:
        _require_drafter(actor)
    # Lock the version: a submit in between would otherwise let an edit slip into a submitted version.
    PolicyVersion.objects.select_for_update().filter(pk=definition.version_id).first()
    definition = ClockDefinition.objects.select_related("version").get(pk=definition.pk)
    clock_definition_update_guard(definition)
    before = {k: getattr(definition, k) for k in changes}
    for k, v in changes.items():
        setattr(definition, k, v)
    _validate_clock(
        {f: getattr(definition, f) for f in ("kind", "start_event", "stop_event", *EDITABLE_CLOCK_FIELDS)}
    )
    changed = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    if changed:
        definition.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action="policy.clock_update",
            object_type="policy_version",
            object_id=definition.version_id,
            data={"clock": definition.pk, "kind": definition.kind, "changes": changed},
        )
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
    policy_in_force_set(code=active_code, actor=actor)
    return out


@transaction.atomic
def policy_in_force_set(*, code: str, actor: Any = None) -> None:
    """Make policy ``code`` the one in force (installation and `herdesk demo load` only).

    Not offered in the admin or the pages: a person changes what is in force by getting a new
    version approved (S1 §六). Audited when it changes anything.
    """
    current = list(ServicePolicy.objects.filter(is_active=True).values_list("code", flat=True))
    if current == [code]:
        return
    ServicePolicy.objects.exclude(code=code).update(is_active=False)
    ServicePolicy.objects.filter(code=code).update(is_active=True)
    audit_record(
        actor=actor,
        action="policy.in_force_set",
        object_type="service_policy",
        object_id=code,
        data={"previous": current},
    )


@transaction.atomic
def policy_describe(*, policy: ServicePolicy, name: str, description: str, actor: Any) -> ServicePolicy:
    """Rename or re-describe a policy (the admin's only edit); audited with old and new values."""
    current = ServicePolicy.objects.select_for_update().get(pk=policy.pk)
    changes = {
        k: [getattr(current, k), v]
        for k, v in (("name", name), ("description", description))
        if getattr(current, k) != v
    }
    if changes:
        current.name, current.description = name, description
        current.full_clean()
        current.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action="policy.describe",
            object_type="service_policy",
            object_id=current.code,
            data={"changes": changes},
        )
    return current
