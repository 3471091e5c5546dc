"""Reads of the WeChat channel. Inbound pushes are read through herdesk.inbound's selectors
(payloads, quarantine, channel health); the only table here is the API access token, which no
page shows."""

from __future__ import annotations

from typing import Any

from herdesk.tickets.selectors import tickets_visible_to

from .services import openid_for

__all__ = ["can_reply", "openid_for"]


def can_reply(*, user: Any, ticket: Any) -> bool:
    """Whether `user` may answer `ticket` on WeChat: staff who can see it, and an openid to send to."""

    if getattr(user, "customer_id", None):
        return False
    return bool(openid_for(ticket)) and tickets_visible_to(user).filter(pk=ticket.pk).exists()
