from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from herdesk.common.rowsql import column, row_columns, row_instance, table

from .backends import group_names
from .models import ApiToken, Team, User
from .services import token_admin, token_digest


def token_for_secret(secret: str) -> ApiToken | None:
    """Resolve an API token secret to its live token (None if unknown, revoked, expired, or its
    user is inactive); the token carries its user and the user's team, and its scopes."""
    if not secret or len(secret) > 200:
        return None
    now = timezone.now()
    token = _live_token(token_digest(secret), now)
    if token is None or not token.user.is_active:
        return None
    # Touch at most once a minute so a busy client doesn't write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


_TOKEN_SQL: dict[str, str] = {}


def _live_token(digest: str, now: Any) -> ApiToken | None:
    """`_live_token_queryset(digest, now).first()` in plain SQL written once per process (issue 20:
    every API request resolves its token, and compiling the ORM query cost more than running it).
    A test compares the two."""
    conn = connection
    sql = _TOKEN_SQL.get(conn.vendor)
    if sql is None:
        T, U, M = ApiToken, User, Team
        expires = f"t.{column(T, 'expires_at')}"
        sql = _TOKEN_SQL[conn.vendor] = (
            f"SELECT {row_columns(T, 't')}, {row_columns(U, 'u')}, {row_columns(M, 'm')} "
            f"FROM {table(T)} t INNER JOIN {table(U)} u ON u.{column(U, 'pk')} = t.{column(T, 'user')} "
            f"LEFT OUTER JOIN {table(M)} m ON m.{column(M, 'pk')} = u.{column(U, 'team')} "
            f"WHERE t.{column(T, 'digest')} = %s AND t.{column(T, 'revoked_at')} IS NULL "
            f"AND ({expires} IS NULL OR {expires} > %s) LIMIT 1"
        )
    with conn.cursor() as cur:
        cur.execute(sql, [digest, conn.ops.adapt_datetimefield_value(now)])
        row = cur.fetchone()
    if row is None:
        return None
    token: ApiToken = row_instance(ApiToken, row)
    user: User = row_instance(User, row, len(ApiToken._meta.concrete_fields))
    user.team = (
        row_instance(Team, row, len(ApiToken._meta.concrete_fields) + len(User._meta.concrete_fields))
        if user.team_id
        else None
    )
    token.user = user
    return token


def _live_token_queryset(digest: str, now: Any) -> QuerySet[ApiToken]:
    """The ORM spelling of `_live_token` (its test compares the two)."""
    return (
        ApiToken.objects.select_related("user", "user__team")
        .filter(digest=digest, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )


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
