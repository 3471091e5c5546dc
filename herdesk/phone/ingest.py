"""The inbound handler of channel "phone" (CTI events; registered in PhoneConfig.ready).

A CTI event is a JSON object:
    {"event": "ringing" | "answered" | "ended", "call_id": "…", "caller": "+8613812348000",
     "callee": "400-800-0000", "extension": "8001", "timestamp": "2026-03-10T10:00:00+08:00"
     (or Unix seconds), "recording_url": "https://…", "reason": "abandoned" | "missed" | …,
     "talk_seconds": 95}
Only requests whose HMAC verified are applied; anything else is quarantined with its reason.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from herdesk.common.pii import normalise_phone
from herdesk.inbound.choices import Outcome, ReasonCode
from herdesk.inbound.errors import Quarantine
from herdesk.inbound.messages import HandlerResult
from herdesk.inbound.webhooks import unverified_reason

from .choices import UNANSWERED, CallEvent
from .services import CtiEvent, call_event_apply


class CtiParseError(Exception):
    pass


def _when(value: Any, default: datetime) -> datetime:
    if value in (None, ""):
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise CtiParseError(f"timestamp {value[:40]!r} is not ISO 8601")
        if timezone.is_naive(parsed):
            raise CtiParseError("timestamp needs a time zone offset")
        return parsed
    raise CtiParseError("timestamp must be ISO 8601 text or Unix seconds")


def parse_event(raw: bytes, *, received_at: datetime) -> CtiEvent:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CtiParseError("the body is not UTF-8 JSON")
    if not isinstance(data, dict):
        raise CtiParseError("the body is not a JSON object")
    event = str(data.get("event") or "").strip().lower()
    if event not in CallEvent.values:
        raise CtiParseError(f"unknown event {event[:30]!r} (expected ringing, answered or ended)")
    call_id = data.get("call_id")
    if not isinstance(call_id, str | int) or not str(call_id).strip() or len(str(call_id)) > 100:
        raise CtiParseError("call_id must be 1 to 100 characters")
    caller = ""
    raw_caller = str(data.get("caller") or "").strip()
    if raw_caller and raw_caller.lower() not in ("anonymous", "unknown", "withheld", "private"):
        try:
            caller = normalise_phone(raw_caller)
        except ValidationError:
            raise CtiParseError(f"caller {raw_caller[:30]!r} is not a phone number")
    recording = str(data.get("recording_url") or "").strip()
    if recording and not recording.startswith(("https://", "http://")):
        raise CtiParseError("recording_url must be an http(s) URL")
    talk = data.get("talk_seconds")
    if talk is not None and (not isinstance(talk, int) or isinstance(talk, bool) or not 0 <= talk < 86400):
        raise CtiParseError("talk_seconds must be a whole number of seconds")
    return CtiEvent(
        event=event,
        call_id=str(call_id).strip(),
        at=min(_when(data.get("timestamp"), received_at), received_at),
        caller=caller,
        callee=str(data.get("callee") or "")[:40],
        extension=str(data.get("extension") or "").strip()[:20],
        recording_url=recording[:500],
        reason=str(data.get("reason") or "").strip().lower()[:40],
        talk_seconds=talk,
    )


def peek_id(raw: bytes) -> str:
    """ "<call_id>:<event>" — the exactly-once key of a CTI request ("" when unreadable)."""
    try:
        data = json.loads(raw.decode("utf-8"))
        if isinstance(data, dict) and data.get("call_id") and data.get("event"):
            return f"{str(data['call_id'])[:100]}:{str(data['event'])[:20].lower()}"
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
        event = parse_event(bytes(payload.raw), received_at=payload.received_at)
    except CtiParseError as exc:
        raise Quarantine(ReasonCode.PARSE_ERROR, _("Not a CTI event: %(why)s") % {"why": str(exc)[:200]})
    call = call_event_apply(event=event)
    ticket = call.callback_ticket if call.status in UNANSWERED else call.ticket
    if call.status in UNANSWERED and getattr(call, "callback_created", False):
        outcome = Outcome.TICKET_CREATED
    elif call.status in UNANSWERED and call.callback_ticket is not None:
        outcome = Outcome.INTERACTION_ADDED  # another missed call joined the open call-back task
    elif call.interaction_id and event.event == CallEvent.ENDED:
        outcome = Outcome.INTERACTION_ADDED
    else:
        outcome = Outcome.IGNORED  # ringing/answered: recorded on the call, nothing on a ticket yet
    return HandlerResult(
        outcome=outcome,
        ticket=ticket,
        detail={"call_id": call.call_id, "event": event.event, "call_status": call.status},
    )
