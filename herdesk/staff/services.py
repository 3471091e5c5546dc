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

from .models import ApiToken, Team, User
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


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: Any = None) -> None:
    group = Group.objects.filter(name=role).first()
    if group is None:
        roles_sync(actor=actor)
        group = Group.objects.get(name=role)
    user.groups.set([group])
    audit_record(
        actor=actor,
        action="user.role_set",
        object_type="user",
        object_id=user.pk,
        data={"username": user.username, "role": role},
    )


@transaction.atomic
def token_create(*, user: User, name: str = "", actor: Any = None) -> tuple[ApiToken, str]:
    """Return (token row, secret). The secret is never stored; only its SHA-256."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=secret[:12], digest=token_digest(secret))
    audit_record(
        actor=actor,
        action="token.create",
        object_type="user",
        object_id=user.pk,
        data={"username": user.username, "prefix": token.prefix},
    )
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Any = None) -> None:
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
