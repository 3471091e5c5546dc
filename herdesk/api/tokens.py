"""API token management (SEC-1): list, create and revoke tokens — your own; an administrator's
token with the `admin` scope also everyone's. The same services as `herdesk token …`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Status

from herdesk.staff import selectors as staff_selectors
from herdesk.staff import services as staff_services
from herdesk.staff.models import ApiToken, User

from .api import api
from .errors import error_responses
from .schemas import TokenCreatedOut, TokenIn, TokenOut
from .shaping import user_of

TAGS = ["tokens"]


def _is_token_admin(request: HttpRequest) -> bool:
    """An administrator acting through a token that carries the `admin` scope."""
    auth: Any = getattr(request, "auth", None)
    return staff_services.token_admin(user_of(request)) and bool(auth is not None and auth.has_scope("admin"))


def token_out(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.pk,
        "username": t.user.username,
        "name": t.name,
        "prefix": t.prefix,
        "scopes": t.scope_list,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
    }


@api.get(
    "/v1/tokens",
    response={200: list[TokenOut], **error_responses(400, 401, 403, 422, 429)},
    tags=TAGS,
    operation_id="token_list",
)
def token_list(
    request: HttpRequest,
    all_users: bool = Query(False, description="administrators (admin scope): everyone's tokens"),
    limit: int = Query(100, ge=1, le=500),
) -> list[dict[str, Any]]:
    """Your tokens, newest first (the secret is never shown again)."""
    if all_users and not _is_token_admin(request):
        raise PermissionDenied
    qs = staff_selectors.tokens_visible_to(user_of(request), all_users=all_users)
    return [token_out(t) for t in qs[:limit]]


@api.post(
    "/v1/tokens",
    response={201: TokenCreatedOut, **error_responses(400, 401, 403, 413, 422, 429)},
    tags=TAGS,
    operation_id="token_create",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    """A new token; its secret is in this answer only. A token cannot create a token with a scope
    it lacks itself; `username` (another user's token) needs an administrator's admin-scope token."""
    actor = user_of(request)
    owner = actor
    if payload.username and payload.username != actor.username:
        if not _is_token_admin(request):
            raise PermissionDenied
        found = User.objects.filter(username=payload.username, is_active=True).first()
        if found is None:
            raise ValidationError({"username": _("No active user with this username.")})
        owner = found
    auth: Any = request.auth  # type: ignore[attr-defined]
    missing = [s for s in payload.scopes if not auth.has_scope(s)]
    if missing:
        raise ValidationError({"scopes": _("This token cannot grant a scope it does not have itself.")})
    expires_at = timezone.now() + timedelta(days=payload.expires_in_days) if payload.expires_in_days else None
    token, secret = staff_services.token_create(
        user=owner, name=payload.name, actor=actor, scopes=payload.scopes, expires_at=expires_at
    )
    return Status(201, {**token_out(token), "secret": secret})


@api.delete(
    "/v1/tokens/{token_id}",
    response={200: TokenOut, **error_responses(400, 401, 403, 404, 422, 429)},
    tags=TAGS,
    operation_id="token_revoke",
)
def token_revoke(request: HttpRequest, token_id: int) -> dict[str, Any]:
    """Revoke one of your tokens (administrators with the admin scope: anyone's). Idempotent."""
    if not 1 <= token_id <= 2**63 - 1:
        raise ApiToken.DoesNotExist
    qs = staff_selectors.tokens_visible_to(user_of(request), all_users=_is_token_admin(request))
    token = qs.get(pk=token_id)
    staff_services.token_revoke(token=token, actor=user_of(request))
    token.refresh_from_db()
    return token_out(token)
