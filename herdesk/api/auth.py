from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from herdesk.staff.selectors import user_for_token


class TokenAuth(HttpBearer):
    """Authorization: Bearer hdk_… (per-user tokens, stored hashed)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user
