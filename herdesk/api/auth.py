from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer

from herdesk.staff.selectors import token_for_secret

from . import throttle

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """Authorization: Bearer hdk_… (per-user tokens, stored hashed, with scopes and an expiry).

    Order: the per-IP rate limit (before the lookup, so token guessing is throttled), the token
    (401 if unknown, revoked or expired), the per-token rate limit, then the scope the HTTP method
    needs (SEC-1): `read` for GET, `write` for anything that changes data (403 otherwise).
    `request.auth` is the ApiToken; `request.user` its user."""

    def __call__(self, request: HttpRequest) -> Any:
        throttle.check_ip(request)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = token_for_secret(token)
        if row is None:
            return None
        throttle.check_token(row.pk)
        needed = "read" if request.method in READ_METHODS else "write"
        if not row.has_scope(needed):
            raise PermissionDenied
        request.user = row.user
        return row
