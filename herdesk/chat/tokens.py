"""Signed conversation tokens: what a customer's browser holds instead of a login.

The token names exactly one conversation, so a customer's socket can only ever join that
conversation's group (SEC-3 on every transport). It is signed with SECRET_KEY under its own salt
and expires; tampering or expiry make `conversation_id_from_token` return None.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing

SALT = "herdesk.chat.conversation"


def conversation_token(public_id: uuid.UUID | str) -> str:
    return signing.dumps({"c": str(public_id)}, salt=SALT, compress=False)


def conversation_id_from_token(token: object) -> uuid.UUID | None:
    """The conversation's public id, or None for a missing, forged, malformed or expired token."""
    if not isinstance(token, str) or not token or len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.HERDESK_CHAT_TOKEN_MAX_AGE_SECONDS)
        return uuid.UUID(str(data["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
