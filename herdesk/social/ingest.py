"""The inbound handler of channel "social" (registered in SocialConfig.ready).

A webhook body is a JSON object:
    {"id": "evt-1", "platform": "weibo", "kind": "mention" | "comment" | "direct_message",
     "author": {"id": "1234", "name": "草原小王"}, "text": "…", "url": "https://…",
     "created_at": "2026-03-10T10:00:00+08:00"}
It becomes a social ticket (secondary channel: first response within 2 working hours on the office
calendar, S1 §二(二)1 / INT-2), or joins the author's open social ticket (INT-8).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from herdesk.inbound.choices import Outcome, ReasonCode
from herdesk.inbound.errors import Quarantine
from herdesk.inbound.messages import HandlerResult, InboundMessage, Sender
from herdesk.inbound.services import inbound_route
from herdesk.inbound.webhooks import unverified_reason
from herdesk.tickets.choices import OPEN_STATUSES, Channel, InteractionKind
from herdesk.tickets.models import Ticket

from .choices import SocialKind
from .services import identity_resolve

MAX_TEXT = 10000


class SocialParseError(Exception):
    pass


def parse(raw: bytes, received_at: datetime) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SocialParseError("the body is not UTF-8 JSON")
    if not isinstance(data, dict):
        raise SocialParseError("the body is not a JSON object")
    kind = str(data.get("kind") or "").strip().lower()
    if kind not in SocialKind.values:
        raise SocialParseError(f"unknown kind {kind[:30]!r} (expected mention, comment or direct_message)")
    platform = str(data.get("platform") or "").strip().lower()
    if not platform or len(platform) > 30:
        raise SocialParseError("platform must be 1 to 30 characters")
    author = data.get("author")
    if not isinstance(author, dict) or not str(author.get("id") or "").strip():
        raise SocialParseError("author.id is required")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise SocialParseError("text is required")
    if len(text) > MAX_TEXT:
        raise SocialParseError(f"text longer than {MAX_TEXT} characters")
    url = str(data.get("url") or "").strip()
    if url and not url.startswith(("https://", "http://")):
        raise SocialParseError("url must be an http(s) URL")
    created = received_at
    if data.get("created_at"):
        parsed = parse_datetime(str(data["created_at"]))
        if parsed is None or timezone.is_naive(parsed):
            raise SocialParseError("created_at must be ISO 8601 with a time zone offset")
        created = min(parsed, received_at)
    return {
        "id": str(data.get("id") or "")[:200],
        "platform": platform,
        "kind": kind,
        "author_id": str(author["id"]).strip()[:100],
        "author_name": str(author.get("name") or "").strip()[:120],
        "text": text.strip(),
        "url": url[:500],
        "created_at": created,
    }


def peek_id(raw: bytes) -> str:
    try:
        data = json.loads(raw.decode("utf-8"))
        if isinstance(data, dict) and data.get("id"):
            platform = str(data.get("platform") or "").lower()[:30]
            return f"{platform}:{str(data['id'])[:200]}"
    except (UnicodeDecodeError, ValueError):
        pass
    return ""


def process_payload(payload: Any) -> HandlerResult:
    meta = payload.meta or {}
    # An oversized body cannot be checked against its signature (answered 413).
    if meta.get("truncated"):
        raise Quarantine(
            ReasonCode.PARSE_ERROR, _("The body was larger than the limit; only its beginning was kept.")
        )
    if not meta.get("verified"):
        raise Quarantine(
            unverified_reason(meta),
            _("The request's signature did not verify (%(why)s).")
            % {"why": meta.get("signature_error", "?")},
        )
    try:
        item = parse(bytes(payload.raw), payload.received_at)
    except SocialParseError as exc:
        raise Quarantine(
            ReasonCode.PARSE_ERROR, _("Not a social media event: %(why)s") % {"why": str(exc)[:200]}
        )
    customer, created = identity_resolve(
        platform=item["platform"], author_id=item["author_id"], name=item["author_name"]
    )
    kind_label = SocialKind(item["kind"]).label
    candidates = list(
        Ticket.objects.filter(customer=customer, channel=Channel.SOCIAL, status__in=OPEN_STATUSES).order_by(
            "-id"
        )[:3]
    )
    body = item["text"] + (f"\n\n{item['url']}" if item["url"] else "")
    routed = inbound_route(
        message=InboundMessage(
            channel=Channel.SOCIAL,
            interaction_kind=InteractionKind.WEB_FORM,
            sender=Sender(customer=customer, contact=None, created=created),
            subject=f"[{item['platform']} {kind_label}] " + item["text"].splitlines()[0][:60],
            body=body,
            received_at=item["created_at"],
            external_id=item["id"],
            data={
                "social": {k: item[k] for k in ("id", "platform", "kind", "author_id", "author_name", "url")}
            },
        ),
        candidates=candidates,
    )
    return HandlerResult(
        outcome=Outcome.TICKET_CREATED if routed.created else Outcome.INTERACTION_ADDED,
        ticket=routed.ticket,
        interaction=routed.interaction,
        detail={"platform": item["platform"], "kind": item["kind"]},
    )
