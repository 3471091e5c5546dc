"""The inbound handler of channel "wechat" (registered in WeChatConfig.ready).

Runs inside herdesk.inbound's processing transaction for one stored push: verify that the view
saw a valid signature, decrypt (safe mode), parse, then text / image / voice / video / location /
link messages become timeline entries of the sender's open WeChat ticket (or a new ticket, INT-1,
first-response clock per seed-000: primary channel, 30 minutes); subscribe events make sure the
follower is a customer. Anything unreadable raises Quarantine with the reason (raw kept).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from herdesk.inbound.choices import Outcome, ReasonCode
from herdesk.inbound.errors import Quarantine
from herdesk.inbound.messages import HandlerResult, InboundMessage
from herdesk.inbound.services import inbound_route, sender_resolve
from herdesk.inbound.webhooks import unverified_reason
from herdesk.notifications import customer_notices
from herdesk.tickets.choices import OPEN_STATUSES, Channel, InteractionKind, Status
from herdesk.tickets.models import Ticket

from .crypto import MessageCrypt, WeChatCryptoError, signature_ok
from .parsing import MESSAGE_TYPES, ParseError, WeChatMessage, parse_message, parse_xml


def crypt() -> MessageCrypt:
    return MessageCrypt(
        token=settings.HERDESK_WECHAT_TOKEN,
        encoding_aes_key=settings.HERDESK_WECHAT_ENCODING_AES_KEY,
        appid=settings.HERDESK_WECHAT_APPID,
    )


def plaintext(raw: bytes, meta: dict[str, Any]) -> bytes:
    """The message XML of a push: the body itself, or its decrypted <Encrypt> in safe mode after
    the msg_signature check. Raises ParseError or WeChatCryptoError."""
    if meta.get("mode") != "aes":
        return raw
    encrypted = parse_xml(raw).get("Encrypt", "")
    if not encrypted:
        raise ParseError("safe mode push without <Encrypt>")
    c = crypt()
    if not signature_ok(
        str(meta.get("msg_signature", "")),
        c.token,
        str(meta.get("timestamp", "")),
        str(meta.get("nonce", "")),
        encrypted,
    ):
        raise WeChatCryptoError("bad_msg_signature", "msg_signature does not match")
    return c.decrypt(encrypted)


def body_text(msg: WeChatMessage) -> str:
    """What the timeline shows for one message (media stay on WeChat's servers, named by id)."""
    t = msg.msg_type
    if t == "text":
        return msg.content.strip()
    if t == "image":
        return _("[Image] %(url)s") % {"url": msg.pic_url}
    if t == "voice":
        text = msg.recognition.strip()
        return _("[Voice message] %(text)s") % {"text": text} if text else _("[Voice message]")
    if t in ("video", "shortvideo"):
        return _("[Video]")
    if t == "location":
        return _("[Location] %(label)s (%(x)s, %(y)s)") % {
            "label": msg.location.get("Label", ""),
            "x": msg.location.get("Location_X", ""),
            "y": msg.location.get("Location_Y", ""),
        }
    if t == "link":
        return _("[Link] %(title)s %(url)s") % {
            "title": msg.link.get("title", ""),
            "url": msg.link.get("url", ""),
        }
    return ""


def process_payload(payload: Any) -> HandlerResult:
    meta = payload.meta or {}
    # An oversized body cannot be checked against its signature (answered 413).
    if meta.get("truncated"):
        raise Quarantine(
            ReasonCode.PARSE_ERROR,
            _("The body was larger than the limit; only its beginning was kept."),
        )
    if not meta.get("verified"):
        raise Quarantine(
            unverified_reason(meta),
            _("The request's signature did not verify: it may not come from WeChat."),
        )
    try:
        msg = parse_message(plaintext(bytes(payload.raw), meta))
    except WeChatCryptoError as exc:
        raise Quarantine(
            ReasonCode.PARSE_ERROR,
            _("The message could not be decrypted (%(why)s). Check the EncodingAESKey and AppID.")
            % {"why": exc.code},
        )
    except ParseError as exc:
        raise Quarantine(
            ReasonCode.PARSE_ERROR, _("Not a WeChat push message: %(why)s") % {"why": str(exc)[:200]}
        )
    return handle_message(msg)


def handle_message(msg: WeChatMessage) -> HandlerResult:
    if msg.msg_type == "event":
        if msg.event == "subscribe":
            sender = sender_resolve(wechat_openid=msg.from_user)
            return HandlerResult(
                outcome=Outcome.IGNORED,
                detail={"event": "subscribe", "customer": sender.customer.pk, "new_customer": sender.created},
            )
        # unsubscribe, menu clicks, scans, location reports: nothing to answer.
        return HandlerResult(outcome=Outcome.IGNORED, detail={"event": msg.event or "unknown"})
    if msg.msg_type not in MESSAGE_TYPES:
        raise Quarantine(
            ReasonCode.PARSE_ERROR,
            _("Unsupported WeChat message type “%(type)s”.") % {"type": msg.msg_type[:20]},
        )
    body = body_text(msg)
    if not body:
        raise Quarantine(ReasonCode.EMPTY, _("The WeChat message has no content."))
    sender = sender_resolve(wechat_openid=msg.from_user)
    # INT-8: the customer's open (or just resolved: CLS-1 reopens it) WeChat ticket continues.
    candidates = list(
        Ticket.objects.filter(
            customer=sender.customer,
            channel=Channel.WECHAT,
            status__in=[*OPEN_STATUSES, Status.RESOLVED],
        ).order_by("-id")[:3]
    )
    routed = inbound_route(
        message=InboundMessage(
            channel=Channel.WECHAT,
            interaction_kind=InteractionKind.WECHAT,
            sender=sender,
            body=body,
            received_at=msg.received_at,
            external_id=msg.external_id,
            data={
                "wechat": {
                    "msg_type": msg.msg_type,
                    "msg_id": msg.msg_id,
                    "media_id": msg.media_id,
                    "pic_url": msg.pic_url,
                    "format": msg.format,
                }
            },
        ),
        candidates=candidates,
    )
    if routed.created:  # INT-2: a new WeChat request is acknowledged with its number and estimate
        customer_notices.notice_acknowledgement(ticket=routed.ticket)
    return HandlerResult(
        outcome=Outcome.TICKET_CREATED if routed.created else Outcome.INTERACTION_ADDED,
        ticket=routed.ticket,
        interaction=routed.interaction,
        detail={"msg_type": msg.msg_type, "msg_id": msg.msg_id},
    )
