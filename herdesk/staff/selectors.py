from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from .backends import group_names
from .models import ApiToken, User
from .services import token_admin, token_digest


def token_for_secret(secret: str) -> ApiToken | None:
    """Resolve an API token secret to its live token (None if unknown, revoked, expired, or its
    user is inactive); the token carries its user (select_related) and scopes."""
    if not secret or len(secret) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(digest=token_digest(secret), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    # Touch at most once a minute so a busy client doesn't write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def user_for_token(secret: str) -> User | None:
    """Resolve an API token secret to its active user (None if unknown, revoked or expired)."""
    token = token_for_secret(secret)
    return token.user if token is not None else None


def tokens_visible_to(user: Any, *, all_users: bool = False) -> QuerySet[ApiToken]:
    """The tokens `user` may list and revoke: their own; an administrator's `all_users` view
    shows everyone's. Newest first."""
    qs = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    if all_users and token_admin(user):
        return qs
    return qs.filter(user=user)


def user_role(user: User) -> str:
    """The role (group) name; read with the permissions in one query (backends.StaffBackend)."""
    names = group_names(user)
    return names[0] if names else ""
