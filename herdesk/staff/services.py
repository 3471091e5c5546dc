"""Writes for staff, roles and API tokens. Every permission change is audited (SEC-2)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError

from .models import ApiToken, Team, TicketHold, User
from .roles import ROLES

TOKEN_PREFIX = "hdk_"


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def roles_sync(*, actor: Any = None) -> dict[str, int]:
    """Create/update one Group per role with exactly the role's permissions. Idempotent."""
    counts = {}
    for code, spec in ROLES.items():
        group, _created = Group.objects.get_or_create(name=code)
        wanted = set()
        for dotted in spec["perms"]:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is None:
                raise ValueError(f"role {code}: unknown permission {dotted}")
            wanted.add(perm.pk)
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)
            audit_record(
                actor=actor,
                action="role.permissions_set",
                object_type="group",
                object_id=code,
                data={"permissions": sorted(spec["perms"])},
            )
        counts[code] = len(wanted)
    return counts


@transaction.atomic
def team_ensure(*, code: str, name: str, name_en: str = "") -> Team:
    team, _ = Team.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})
    return team


@transaction.atomic
def team_update(*, team: Team, actor: Any, changes: dict[str, Any]) -> Team:
    """Rename a team or change its lead (the lead is notified of breaches and takes reassigned
    tickets, so it is a grant of work and visibility): audited with old and new values."""
    unknown = set(changes) - {"name", "name_en", "lead"}
    if unknown:
        raise ValidationError(
            _("These team fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    current = Team.objects.select_for_update().get(pk=team.pk)
    diff: dict[str, list[Any]] = {}
    for k, v in changes.items():
        old = getattr(current, k)
        if old != v:
            diff[k] = [str(old) if old is not None else None, str(v) if v is not None else None]
            setattr(current, k, v)
    if diff:
        current.full_clean()
        current.save(update_fields=list(diff))
        audit_record(
            actor=actor,
            action="team.update",
            object_type="team",
            object_id=current.code,
            data={"changes": diff},
        )
    return current


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    team: Team | None = None,
    display_name: str = "",
    email: str = "",
    actor: Any = None,
    customer: Any = None,
) -> User:
    """Create a user with one role. Administrators also get Django admin access (is_staff)."""
    if role not in ROLES:
        raise ValidationError({"role": _("Unknown role “%(role)s”.") % {"role": role}})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("A user with that username already exists.")})
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        team=team,
        customer=customer,
        is_staff=(role == "admin"),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user_set_role(user=user, role=role, actor=actor)
    return user


def _perms_of_groups(group_ids: Any) -> set[str]:
    return {
        f"{a}.{c}"
        for a, c in Permission.objects.filter(group__in=list(group_ids))
        .values_list("content_type__app_label", "codename")
        .distinct()
    }


def _perms_of(user: Any) -> set[str]:
    """What the user holds now, read from the database (not a request's cached copy)."""
    own = {f"{a}.{c}" for a, c in user.user_permissions.values_list("content_type__app_label", "codename")}
    return own | _perms_of_groups(user.groups.values_list("pk", flat=True))


def _refuse_self_escalation(*, actor: Any, user: Any, new_perms: set[str]) -> None:
    """S3 §7.4 (least privilege) and SEC-2: nobody raises their own privileges. An administrator may
    give others any role, but a change to their own role that adds a permission is refused (another
    administrator, or `herdesk user create` on the server, has to do it), and so is any change that
    would make someone a superuser outside the command line."""
    if getattr(actor, "pk", None) is None or actor.pk != user.pk:
        return
    gained = new_perms - _perms_of(user)
    if gained:
        raise DomainError(
            _("You cannot raise your own privileges (%(p)s); ask another administrator.")
            % {"p": ", ".join(sorted(gained))},
            code="self_escalation",
            status=403,
        )


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: Any = None) -> None:
    """Give the user exactly one role (its group). Audited; refuses raising the actor's own rights."""
    if role not in ROLES:
        raise ValidationError({"role": _("Unknown role “%(role)s”.") % {"role": role}})
    group = Group.objects.filter(name=role).first()
    if group is None:
        roles_sync(actor=actor)
        group = Group.objects.get(name=role)
    _refuse_self_escalation(actor=actor, user=user, new_perms=_perms_of_groups([group.pk]))
    previous = list(user.groups.order_by("id").values_list("name", flat=True))
    user.groups.set([group])
    user.user_permissions.clear()  # a role is the whole grant: no per-user extras (least privilege)
    # Admin access follows the role (is_staff opens /admin/), never a separate tick.
    is_staff = role == "admin"
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor,
        action="user.role_set",
        object_type="user",
        object_id=user.pk,
        data={"username": user.username, "role": role, "previous": previous},
    )


# Fields of a user that an administrator may change in the admin (through `user_update`). Roles go
# through `user_set_role`; superuser status and per-user permissions are not offered at all.
USER_EDITABLE_FIELDS = ("first_name", "last_name", "email", "display_name", "team", "extension", "is_active")


@transaction.atomic
def user_update(*, user: User, actor: Any, changes: dict[str, Any]) -> User:
    """Change a user's profile fields; each changed field is audited with old and new value."""
    unknown = set(changes) - set(USER_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These user fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    current = User.objects.select_for_update().get(pk=user.pk)
    if changes.get("is_active") is False and getattr(actor, "pk", None) == user.pk:
        raise DomainError(_("You cannot deactivate your own account."), code="self_deactivate", status=403)
    diff: dict[str, list[Any]] = {}
    for k, v in changes.items():
        old = getattr(current, k)
        if old != v:
            diff[k] = [str(old) if old is not None else None, str(v) if v is not None else None]
            setattr(current, k, v)
    if diff:
        current.full_clean(exclude=["password"])
        current.save(update_fields=list(diff))
        audit_record(
            actor=actor,
            action="user.update",
            object_type="user",
            object_id=current.pk,
            data={"username": current.username, "changes": diff},
        )
    return current


@transaction.atomic
def user_password_set(*, user: User, password: str | None, actor: Any) -> None:
    """Set a password, or with None disable password login (audited that it changed; the password
    itself never reaches the log)."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action="user.password_set",
        object_type="user",
        object_id=user.pk,
        data={"username": user.username, "usable": password is not None},
    )


@transaction.atomic
def group_permissions_set(*, group: Group, permissions: Any, actor: Any) -> Group:
    """Set a role group's permissions. Audited (added/removed); refused if the actor is a member and
    the change adds a permission (raising one's own privileges, S3 §7.4). `roles_sync` puts the
    shipped roles back to roles.py on the next `herdesk demo load`/upgrade."""
    wanted = {p.pk for p in permissions}
    current = set(group.permissions.values_list("pk", flat=True))
    if wanted == current:
        return group
    names = {
        p.pk: f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(pk__in=wanted | current).select_related("content_type")
    }
    added = sorted(names[i] for i in wanted - current)
    if added and getattr(actor, "pk", None) and group.user_set.filter(pk=actor.pk).exists():
        raise DomainError(
            _("You cannot raise your own privileges (%(p)s); ask another administrator.")
            % {"p": ", ".join(added)},
            code="self_escalation",
            status=403,
        )
    group.permissions.set(wanted)
    audit_record(
        actor=actor,
        action="role.permissions_set",
        object_type="group",
        object_id=group.name,
        data={"added": added, "removed": sorted(names[i] for i in current - wanted)},
    )
    return group


@transaction.atomic
def superuser_create(*, username: str, password: str, email: str = "", actor: Any = None) -> User:
    """A superuser: only from the server's command line (`herdesk user create --superuser`), never
    from a page or the admin, so no web session can mint one."""
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("A user with that username already exists.")})
    user = User(username=username, email=email, is_staff=True, is_superuser=True)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.superuser_create",
        object_type="user",
        object_id=user.pk,
        data={"username": username},
    )
    return user


SCOPES = ("read", "write", "admin")
DEFAULT_SCOPES = ("read", "write")
TOKEN_ADMIN_PERM = "staff.change_user"  # administrators manage everyone's tokens


def token_admin(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and user.has_perm(TOKEN_ADMIN_PERM))


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str = "",
    actor: Any = None,
    scopes: Any = DEFAULT_SCOPES,
    expires_at: Any = None,
) -> tuple[ApiToken, str]:
    """Return (token row, secret). The secret is never stored; only its SHA-256.

    SEC-1 least privilege: `scopes` ⊆ read/write/admin; `admin` only for an administrator.
    `expires_at` None = no expiry (the API's default is 90 days)."""
    scopes = [s for s in SCOPES if s in set(scopes)]
    errors: dict[str, str] = {}
    if not scopes or len(scopes) != len(set(scopes) & set(SCOPES)):
        errors["scopes"] = _("Choose one or more of: read, write, admin.")
    if "admin" in scopes and not token_admin(user):
        errors["scopes"] = _("Only an administrator's token can have the admin scope.")
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = _("The expiry must be in the future.")
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:12],
        digest=token_digest(secret),
        scopes=",".join(scopes),
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action="token.create",
        object_type="user",
        object_id=user.pk,
        data={
            "username": user.username,
            "prefix": token.prefix,
            "scopes": token.scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Any = None) -> None:
    """Revoke now (idempotent: a revoked token keeps its first revocation time)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        object_type="user",
        object_id=token.user_id,
        data={"prefix": token.prefix},
    )


# --- two-factor sign-in (SEC-5; herdesk.staff.twofactor) --------------------------------------------


def totp_confirmed_device(user: User) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


@transaction.atomic
def totp_setup_device(user: User) -> Any:
    """The device being enrolled: one unconfirmed TOTP device per user, a fresh random key each time
    the set-up starts anew (a key shown on a screen earlier is not reused after a reset)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def totp_confirm(*, user: User, device: Any, code: str) -> bool:
    """Confirm an enrolment with the first code the authenticator app shows. Audited."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(code):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="user.2fa_enrolled", object_type="user", object_id=user.username)
    return True


@transaction.atomic
def totp_reset(*, actor: Any, user: User) -> int:
    """Remove a user's TOTP devices (lost phone): the next sign-in enrols anew. Audited."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    count, _detail = TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=actor, action="user.2fa_reset", object_type="user", object_id=user.username)
    return count


@transaction.atomic
def totp_demo_device_ensure(user: User) -> Any:
    """The demo company's pre-enrolled device (`herdesk demo load`): a random key generated on this
    installation (never in the source); `herdesk user otp-code USER` shows its current code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, name="demo", confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
        audit_record(actor=None, action="user.2fa_enrolled", object_type="user", object_id=user.username)
    return device


@transaction.atomic
def user_ticket_hold_set(*, user: User, hold: str, actor: Any, reason: str = "") -> bool:
    """Put a staff member on hold for tickets (`hold` a TicketHold value) or release them (`""`).
    The staff-level flag that a layer above the ticket core (training's onboarding, STF-2) sets and
    `ticket_assign` checks. Audited when it changes; returns whether it changed."""
    if hold not in TicketHold.values:
        raise ValidationError({"ticket_hold": _("Unknown hold: %(h)s") % {"h": hold[:20]}})
    current = User.objects.select_for_update().get(pk=user.pk)
    if current.ticket_hold == hold:
        user.ticket_hold = hold
        return False
    old = current.ticket_hold
    User.objects.filter(pk=user.pk).update(ticket_hold=hold)
    user.ticket_hold = hold
    audit_record(
        actor=actor,
        action="user.ticket_hold_set",
        object_type="user",
        object_id=user.pk,
        data={"from": old, "to": hold, "reason": reason[:300]},
    )
    return True
