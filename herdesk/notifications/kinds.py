"""The declared outbox message kinds: every (channel, template) pair a producer may queue, and the
payload keys that kind must carry. `services.outbox_enqueue_many` refuses a message whose kind is
not declared or whose payload lacks a required key (`OutboxKindError`, a programming error: it never
reaches a customer), so a typo in a template name or a payload built in a second format fails in the
producer's own test instead of in the dispatcher.

The domain core declares its kinds here (customer notices, clock actions, the staff digest); each app
above it declares its own in its AppConfig.ready() with `outbox_kind_register` (mail: replies; SMS:
its purposes; WeChat: text; portal: the sign-in link; analytics: report ready), as channels register
their outbox adapters. Adding a kind is one call.

The clock sweep queues its actions set-based (`outbox_insert_sql`, no Python per row); the actions
of a policy's clock table are `policies.choices.Action`, declared below for channel "action".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from herdesk.policies.choices import Action

from .choices import NoticeKind


class OutboxKindError(ValueError):
    """A message of an undeclared kind, or without a payload key its kind requires."""


@dataclass(frozen=True)
class OutboxKind:
    channel: str  # "email", "sms", "wechat" (adapters); "action", "internal" (in-app, exactly once)
    template: str
    payload: frozenset[str]  # keys every payload of this kind carries
    description: str = ""


_KINDS: dict[tuple[str, str], OutboxKind] = {}


def outbox_kind_register(
    *, channel: str, template: str, payload: Iterable[str] = (), description: str = ""
) -> OutboxKind:
    """Declare a kind (idempotent: a second declaration replaces the first)."""
    kind = OutboxKind(str(channel), str(template), frozenset(payload), description)
    _KINDS[kind.channel, kind.template] = kind
    return kind


def outbox_kind(channel: str, template: str) -> OutboxKind | None:
    return _KINDS.get((channel, template))


def outbox_kinds() -> list[OutboxKind]:
    """Every declared kind, by channel and template (docs, checks)."""
    return [_KINDS[k] for k in sorted(_KINDS)]


def outbox_kind_check(message: Mapping[str, Any]) -> OutboxKind:
    """The kind of a message about to be queued; raises OutboxKindError when it is not declared
    or its payload lacks a required key."""
    channel, template = message.get("channel", ""), message.get("template", "")
    kind = _KINDS.get((channel, template))
    if kind is None:
        known = sorted(t for c, t in _KINDS if c == channel)
        raise OutboxKindError(
            f"outbox: unknown message kind {template!r} on channel {channel!r} "
            f"(declared: {', '.join(known) or 'none'}); declare it with "
            "herdesk.notifications.kinds.outbox_kind_register in the producing app's AppConfig.ready()"
        )
    if kind.payload:
        missing = kind.payload.difference(message.get("payload") or ())
        if missing:
            raise OutboxKindError(
                f"outbox: a {channel}/{template} message needs payload keys {sorted(missing)}"
            )
    return kind


# --- the domain core's kinds ---------------------------------------------------------------------

CUSTOMER_CHANNELS = ("email", "sms", "wechat")
# customer_notices: one template per notice (the acknowledgement keeps the channels' "ticket_ack");
# a notice its channel gave up on moves to the next channel with the same template (notice_fallback).
NOTICE_TEMPLATES = {
    NoticeKind.ACKNOWLEDGEMENT: "ticket_ack",
    NoticeKind.RENEGOTIATION: NoticeKind.RENEGOTIATION.value,
    NoticeKind.OPTIONS: NoticeKind.OPTIONS.value,
    NoticeKind.RESOLUTION: NoticeKind.RESOLUTION.value,
    NoticeKind.CLOSING: NoticeKind.CLOSING.value,
}

for _channel in CUSTOMER_CHANNELS:
    for _notice, _template in NOTICE_TEMPLATES.items():
        outbox_kind_register(
            channel=_channel, template=_template, payload=("text",), description=f"customer notice: {_notice}"
        )
# Clock actions (the sweep; a low follow-up score; a food-safety flag): handled in-app by
# services._deliver_action, in the transaction that marks them sent.
for _action in Action:
    outbox_kind_register(channel="action", template=_action.value, description=f"clock action: {_action}")
# The staff e-mail digest of unread notifications (staff_notices.notification_digest_send).
outbox_kind_register(channel="email", template="digest", payload=("subject", "text"), description="digest")
