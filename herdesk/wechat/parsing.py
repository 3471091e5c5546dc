"""Parsing the official-account push XML (message push protocol, 接收普通消息 / 接收事件推送).

Defensive: DOCTYPE and entity declarations are refused before the XML parser runs (no entity
expansion, no external entities), the size is bounded by the webhook limit, and anything that is
not the expected shape raises `ParseError` with a reason that ends up in the quarantine.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

# Types we turn into timeline entries; events are handled separately.
MESSAGE_TYPES = ("text", "image", "voice", "video", "shortvideo", "location", "link")


class ParseError(Exception):
    pass


@dataclass
class WeChatMessage:
    to_user: str
    from_user: str  # the sender's openid
    create_time: int
    msg_type: str
    msg_id: str = ""
    content: str = ""
    pic_url: str = ""
    media_id: str = ""
    format: str = ""
    recognition: str = ""
    thumb_media_id: str = ""
    location: dict[str, str] = field(default_factory=dict)
    link: dict[str, str] = field(default_factory=dict)
    event: str = ""
    event_key: str = ""

    @property
    def received_at(self) -> datetime:
        return datetime.fromtimestamp(self.create_time, tz=UTC)

    @property
    def external_id(self) -> str:
        """WeChat's MsgId; events have none, so FromUserName + CreateTime + Event names them
        (WeChat's own recommendation for de-duplicating event retries)."""
        if self.msg_id:
            return self.msg_id
        return f"event:{self.from_user}:{self.create_time}:{self.event}"


def parse_xml(data: bytes) -> dict[str, str]:
    """The child elements of <xml> as {tag: text}; nested elements (e.g. <Video>) flattened."""
    if not data or not data.strip():
        raise ParseError("empty body")
    if _FORBIDDEN.search(data):
        raise ParseError("DOCTYPE or ENTITY declarations are not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ParseError(f"not well-formed XML: {exc}")
    if root.tag != "xml":
        raise ParseError(f"unexpected root element <{root.tag[:40]}>")
    out: dict[str, str] = {}
    for child in root.iter():
        if child is root:
            continue
        if len(child) == 0:
            out[child.tag] = (child.text or "").strip()
    return out


def message_from_fields(f: dict[str, str]) -> WeChatMessage:
    for required in ("FromUserName", "CreateTime", "MsgType"):
        if not f.get(required):
            raise ParseError(f"missing <{required}>")
    try:
        create_time = int(f["CreateTime"])
    except ValueError:
        raise ParseError("CreateTime is not a number")
    msg = WeChatMessage(
        to_user=f.get("ToUserName", ""),
        from_user=f["FromUserName"][:64],
        create_time=create_time,
        msg_type=f["MsgType"].strip().lower()[:20],
        msg_id=f.get("MsgId", "")[:30] or f.get("MsgID", "")[:30],
        content=f.get("Content", ""),
        pic_url=f.get("PicUrl", ""),
        media_id=f.get("MediaId", ""),
        format=f.get("Format", ""),
        recognition=f.get("Recognition", ""),
        thumb_media_id=f.get("ThumbMediaId", ""),
        event=f.get("Event", "").strip().lower()[:40],
        event_key=f.get("EventKey", "")[:200],
    )
    if msg.msg_type == "location":
        msg.location = {k: f.get(k, "") for k in ("Location_X", "Location_Y", "Scale", "Label")}
    if msg.msg_type == "link":
        msg.link = {
            "title": f.get("Title", ""),
            "description": f.get("Description", ""),
            "url": f.get("Url", ""),
        }
    return msg


def parse_message(data: bytes) -> WeChatMessage:
    return message_from_fields(parse_xml(data))
