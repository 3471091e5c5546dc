from __future__ import annotations

from django.utils import timezone

from .backends import group_names
from .models import ApiToken, User
from .services import token_digest


def user_for_token(secret: str) -> User | None:
    """Resolve an API token secret to its active user (None if unknown or revoked)."""
    if not secret:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(digest=token_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute so a busy client doesn't write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def user_role(user: User) -> str:
    """The role (group) name; read with the permissions in one query (backends.StaffBackend)."""
    names = group_names(user)
    return names[0] if names else ""
