"""Conversation tokens: what a customer's browser holds instead of a login.

The token names exactly one conversation, so a customer's socket can only ever join that
conversation's group (SEC-3 on every transport). It is 32 random bytes (`hct_` + base64url); only
its SHA-256 is stored (ChatToken), so a copy of the database does not hold usable tokens, and
nothing about it derives from SECRET_KEY (a leaked SECRET_KEY used to let anyone sign a token for
any conversation id). Tokens expire (HERDESK_CHAT_TOKEN_MAX_AGE_SECONDS) and can be revoked
(`conversation_tokens_revoke`: erasure, a customer's request, a suspected leak).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import ChatToken, Conversation

PREFIX = "hct_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def conversation_token(public_id: uuid.UUID | str) -> str:
    """A new token for the conversation (shown to its browser once; database access: call it
    through database_sync_to_async from a consumer)."""

    conv = Conversation.objects.only("pk").get(public_id=public_id)
    token = PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    ChatToken.objects.create(
        conversation=conv,
        digest=_digest(token),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.HERDESK_CHAT_TOKEN_MAX_AGE_SECONDS),
    )
    return token


def conversation_id_from_token(token: object) -> uuid.UUID | None:
    """The conversation's public id, or None for a missing, unknown, malformed, expired or revoked
    token."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 100:
        return None

    row = (
        ChatToken.objects.filter(
            digest=_digest(token), revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .values_list("conversation__public_id", flat=True)
        .first()
    )
    return row


def conversation_tokens_revoke(public_id: uuid.UUID | str) -> int:
    """Revoke every token of the conversation: its browsers must start a new conversation."""

    return ChatToken.objects.filter(conversation__public_id=public_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
