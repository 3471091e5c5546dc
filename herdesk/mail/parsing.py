"""Parsing and decoding real-world email (pure functions, no database).

Python's `email` package with the lenient compat32 policy does the MIME structure; decoding is
ours, because real mail lies about its charset: declared gb2312 is usually GBK/GB18030, declared
iso-8859-1 is often windows-1252 or UTF-8, and many Chinese mailers put raw GBK bytes in headers.
Order: the declared charset (through ALIASES) → utf-8 → gb18030 → latin-1 (never fails), so a
message is always readable and each fallback is noted.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.utils
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any

import nh3

# Declared charset → the Python codec that decodes what such mail really contains.
ALIASES: dict[str, str | None] = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gb2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "chinese": "gb18030",
    "hz-gb-2312": "hz",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "euc-kr": "cp949",
    "x-windows-949": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-2022-jp-2": "iso2022_jp_2",
    "iso-2022-kr": "iso2022_kr",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "windows-874": "cp874",
    "tis-620": "cp874",
    # "I don't know" labels: behave as undeclared.
    "x-unknown": None,
    "unknown": None,
    "unknown-8bit": None,
    "x-user-defined": None,
    "default": None,
    "charset": None,
    "undefined": None,
    "binary": None,
}
# Labels whose bytes are as often UTF-8 in practice: try UTF-8 first (it rarely decodes by chance).
TRY_UTF8_FIRST = frozenset({"ascii", "cp1252", "iso-8859-15", "latin-1"})
FALLBACKS = ("utf-8", "gb18030", "latin-1")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in ALIASES:
        return ALIASES[label]
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str, bool]:
    """(text, codec used, exact): exact is False when the declared charset did not decode the bytes
    and a fallback was used."""
    codec = _codec(declared)
    candidates: list[str] = []
    if codec in TRY_UTF8_FIRST:
        candidates = ["utf-8", codec]
    elif codec:
        candidates = [codec]
        if codec == "iso2022_jp_ext":
            candidates.append("iso2022_jp_2")
    for name in (*candidates, *FALLBACKS):
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        exact = (not declared) or name in candidates
        return text, name, exact
    return data.decode("latin-1"), "latin-1", False  # unreachable: latin-1 never fails


# --- headers ----------------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)(?:\*[^?\s]*)?\?([QqBb])\?([^?]*?)\?=")
_SURROGATES = re.compile(r"[\udc80-\udcff]")


def _b64(data: str) -> bytes:
    data = re.sub(r"[^A-Za-z0-9+/]", "", data)
    if len(data) % 4 == 1:  # a stray character: drop it rather than lose the whole word
        data = data[:-1]
    data += "=" * (-len(data) % 4)
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError):
        return b""


def _q(data: str) -> bytes:
    data = data.replace("_", " ")
    out = bytearray()
    i = 0
    raw = data.encode("latin-1", "replace")
    while i < len(raw):
        ch = raw[i]
        if ch == 0x3D and i + 2 < len(raw) and re.fullmatch(rb"[0-9A-Fa-f]{2}", raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
            continue
        out.append(ch)
        i += 1
    return bytes(out)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def _raw_8bit(value: str, hint: str | None = None) -> str:
    """Header bytes that were not ASCII arrive as surrogate escapes: decode them as the message's
    body charset (`hint`: mailers that do this use one charset throughout), then with fallbacks."""
    if not _SURROGATES.search(value):
        return value
    return decode_bytes(value.encode("ascii", "surrogateescape"), hint)[0]


def decode_header_value(value: Any, hint: str | None = None) -> str:
    """An unfolded, decoded header: RFC 2047 encoded words (adjacent words of one charset are joined
    as bytes first, since mailers split multi-byte characters across words), raw 8-bit bytes, any
    charset with the same fallbacks as bodies."""
    if value is None:
        return ""
    value = _raw_8bit(_unfold(str(value)), hint)
    if "=?" not in value:
        return value.strip()
    out: list[str] = []
    pos = 0
    pending: tuple[str, bytearray] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            out.append(decode_bytes(bytes(pending[1]), pending[0])[0])
            pending = None

    for m in _ENCODED_WORD.finditer(value):
        between = value[pos : m.start()]
        if between and not (pending is not None and between.isspace()):
            flush()
            out.append(between)
        charset, enc, text = m.group(1), m.group(2).upper(), m.group(3)
        data = _b64(text) if enc == "B" else _q(text)
        if pending is not None and pending[0].lower() == charset.lower():
            pending[1].extend(data)
        else:
            flush()
            pending = (charset, bytearray(data))
        pos = m.end()
    flush()
    out.append(value[pos:])
    return "".join(out).strip()


_ADDR_RE = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")


def parse_addresses(value: Any, hint: str | None = None) -> list[tuple[str, str]]:
    """[(display name, address lower-cased)] for every syntactically usable address."""
    if not value:
        return []
    raw = _raw_8bit(_unfold(str(value)), hint)
    out = []
    try:
        pairs = email.utils.getaddresses([raw])
    except Exception:
        pairs = []
    for name, addr in pairs:
        addr = (addr or "").strip().strip("<>").lower()
        if _ADDR_RE.match(addr):
            out.append((decode_header_value(name).strip().strip('"').strip(), addr))
    if not out:
        # Broken syntax: still find an address-shaped token.
        for addr in re.findall(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", raw):
            out.append(("", addr.lower()))
    return out


_MSGID_RE = re.compile(r"<([^<>\s]+)>")


def parse_message_ids(value: Any) -> list[str]:
    if not value:
        return []
    raw = _unfold(str(value))
    found = [f"<{m}>" for m in _MSGID_RE.findall(raw)]
    if not found:
        found = [f"<{tok.strip('<>')}>" for tok in raw.split() if "@" in tok]
    return [m[:255] for m in found]


def parse_date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(_unfold(str(value)).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return dt


# --- quick look (before storing) --------------------------------------------------------------------


def split_head(raw: bytes, limit: int = 1 << 20) -> tuple[bytes, bytes]:
    """(header block, body) at the first empty line (CRLF or LF), looking at most `limit` bytes."""
    window = raw[:limit]
    candidates = [i for i in (window.find(b"\r\n\r\n"), window.find(b"\n\n")) if i >= 0]
    if not candidates:
        return window, raw[len(window) :]
    i = min(candidates)
    sep = 4 if raw[i : i + 4] == b"\r\n\r\n" else 2
    return raw[:i], raw[i + sep :]


def quick_headers(raw: bytes) -> Message:
    head, _body = split_head(raw)
    return BytesHeaderParser(policy=policy.compat32).parsebytes(head + b"\n\n")


def _norm_body(body: bytes) -> bytes:
    return b"\n".join(line.rstrip() for line in body.replace(b"\r\n", b"\n").split(b"\n")).strip()


def identity(raw: bytes) -> tuple[str, str]:
    """(Message-ID, content key) for exactly-once storage. The content key hashes what a relay does
    not change (From, Date, Subject and the body with normalised line ends), so the same message
    relayed with other Received headers is recognised."""
    head, body = split_head(raw)
    h = BytesHeaderParser(policy=policy.compat32).parsebytes(head + b"\n\n")
    ids = parse_message_ids(h.get("Message-ID") or h.get("Message-Id"))
    digest = hashlib.sha256()
    for name in ("From", "Date", "Subject"):
        digest.update(_unfold(str(h.get(name, ""))).strip().encode("utf-8", "surrogateescape") + b"\n")
    digest.update(_norm_body(body))
    return (ids[0] if ids else ""), digest.hexdigest()


# --- bodies -----------------------------------------------------------------------------------------


_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/tr|/li|/h[1-6]|/blockquote|/table|hr\s*/?)\s*>")


def html_to_text(markup: str) -> str:
    text = _BLOCK_END.sub("\n", markup)
    text = nh3.clean(text, tags=set(), clean_content_tags={"script", "style", "head", "title"})
    text = html.unescape(text).replace("\xa0", " ")
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _img_filter(element: str, attribute: str, value: str) -> str | None:
    # Remote images are trackers (a read receipt the customer did not agree to): only inline
    # (cid:) and embedded (data:) images are kept.
    if element == "img" and attribute == "src" and not value.lower().startswith(("cid:", "data:image/")):
        return None
    return value


def sanitize_html(markup: str) -> str:
    """Customer HTML made safe to show (SEC-5): no scripts, styles, event handlers, forms, iframes or
    remote images; links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        markup,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_img_filter,
    )


# --- quoted text of replies -------------------------------------------------------------------------

_QUOTE_MARKERS = [
    # Gmail/Apple/Thunderbird and most clients, English and some European forms; may wrap once.
    re.compile(
        r"^[ \t]*(?:On|Le|Am|El|Il|Em|Op|Den|W dniu)\b[^\n]{0,200}(?:\n[^\n]{0,200})?"
        r"(?:wrote|a écrit|schrieb|escribió|scrisse|escreveu|schreef|skrev|napisał)\s*:[ \t]*$",
        re.M,
    ),
    # Chinese clients: 在 2024年5月1日 … 写道： / 于 … 写道：
    re.compile(r"^[ \t]*(?:在|于|於)[^\n]{0,200}(?:写道|寫道)[:：]?[ \t]*$", re.M),
    # Outlook, Foxmail, QQ Mail, NetEase: -----Original Message----- / ------------------ 原始邮件 ----
    re.compile(
        r"^[ \t]*-{2,}[ \t\xa0]*"
        r"(?:Original Message|Forwarded message|原始邮件|原始郵件|转发邮件|回复的原邮件)[ \t\xa0]*-{2,}",
        re.M | re.I,
    ),
    # An Outlook header block: From: … then Sent:/Date: within a few lines (English and Chinese).
    re.compile(
        r"^[ \t]*(?:\*?From|发件人|寄件者)\s*\*?[:：][^\n]*\n(?:[^\n]*\n){0,3}?"
        r"[ \t]*\*?(?:Sent|Date|发送时间|日期|寄件日期)\s*\*?[:：]",
        re.M,
    ),
    # Hotmail/Outlook.com separator line.
    re.compile(r"^[ \t]*_{20,}[ \t]*$", re.M),
]
_QUOTED_LINE = re.compile(r"^[ \t]*>", re.M)
# "… <bob@example.com> написал:" / "02.04.2012 14:20 … :" just above a quoted block, in any language.
_ATTRIBUTION = re.compile(r"(?:^|\n)([^\n]*(?:@|\d)[^\n]*(?:\n[^\n]+)?[:：])[ \t]*\n(?:[ \t]*\n)*$")


def new_part_end(text: str) -> int:
    """Offset where the quoted part of a reply starts (len(text) when nothing is quoted). The full
    text is kept; this only marks what is new so the timeline can fold the rest."""
    end = len(text)
    for pattern in _QUOTE_MARKERS:
        m = pattern.search(text, 0, end)
        if m is not None and m.start() < end:
            end = m.start()
    m = _QUOTED_LINE.search(text, 0, end)
    if m is not None:
        end = m.start()
        head = text[max(0, end - 400) : end]
        attribution = _ATTRIBUTION.search(head)
        if attribution is not None:
            end -= len(head) - attribution.start(1)
    if end == len(text):
        return end
    new = text[:end].rstrip()
    # Everything quoted (a forward without a comment): then the whole text is the message.
    return len(new) if new.strip() else len(text)


# --- the parsed message -----------------------------------------------------------------------------


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    is_inline: bool = False


@dataclass
class Report:
    """A delivery status notification, read receipt or abuse report (RFC 3464/8098/5965)."""

    report_type: str  # delivery-status, disposition-notification, feedback-report, bounce
    status: str  # DeliveryStatus value
    original_ids: list[str] = field(default_factory=list)
    recipient: str = ""
    diagnostic: str = ""


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    from_addr: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    html_safe: str = ""
    new_part_end: int = 0
    attachments: list[Attachment] = field(default_factory=list)
    auto_reasons: list[str] = field(default_factory=list)
    x_loop: list[str] = field(default_factory=list)
    return_path: str | None = None
    report: Report | None = None
    notes: list[str] = field(default_factory=list)
    headers_only: bool = False

    @property
    def automatic(self) -> bool:
        """Written by a machine in reply to something (not a person): recorded, never answered."""
        return any(r in self.auto_reasons for r in ("auto-submitted", "x-autoreply", "delivery-report"))

    @property
    def suppress_auto_reply(self) -> bool:
        return bool(self.auto_reasons)


SYSTEM_LOCALPARTS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply")


def _header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _headers(msg: Message, name: str) -> list[str]:
    return [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]


def auto_reasons(msg: Message, from_addr: str, envelope_from: str | None) -> list[str]:
    """RFC 3834 and de-facto signs that a message was sent automatically or to many: we never send
    an automatic reply to such mail (it would start a mail loop or spam a list)."""
    reasons = []
    submitted = _unfold(_header(msg, "Auto-Submitted")).split(";")[0].strip().lower()
    if submitted and submitted != "no":
        reasons.append("auto-submitted")
    if _unfold(_header(msg, "Precedence")).strip().lower() in ("bulk", "junk", "list"):
        reasons.append("precedence")
    suppress = _unfold(_header(msg, "X-Auto-Response-Suppress")).strip().lower()
    if suppress and suppress != "none":
        reasons.append("x-auto-response-suppress")
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Mail-Autoreply")):
        reasons.append("x-autoreply")
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        reasons.append("mailing-list")
    rp = _header(msg, "Return-Path")
    if (rp and re.fullmatch(r"\s*<\s*>\s*", rp)) or envelope_from == "":
        reasons.append("empty-return-path")
    local = from_addr.split("@", 1)[0] if from_addr else ""
    if local.startswith(SYSTEM_LOCALPARTS):
        reasons.append("system-sender")
    if msg.get_content_type() == "multipart/report":
        reasons.append("delivery-report")
    return reasons


def _leaves(part: Message, depth: int = 0) -> Any:
    """The leaf parts, without descending into attached messages (message/rfc822 is a file)."""
    if depth > 50:  # MIME bombs: stop nesting (the raw message is kept)
        return
    if part.get_content_maintype() == "message" or not part.is_multipart():
        yield part
        return
    payload = part.get_payload()
    if isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                yield from _leaves(sub, depth + 1)


def _part_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            try:
                return inner[0].as_bytes()
            except Exception:
                return inner[0].as_string().encode("utf-8", "surrogateescape")
        if isinstance(inner, str):
            return inner.encode("utf-8", "surrogateescape")
        return b""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _part_text(part: Message, notes: list[str]) -> str:
    data = _part_bytes(part)
    declared = part.get_param("charset")
    if isinstance(declared, tuple):  # RFC 2231 form
        declared = declared[2]
    text, used, exact = decode_bytes(data, str(declared) if declared else None)
    if not exact:
        notes.append(f"charset {declared or 'undeclared'} → {used}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_EXT = {
    "text/plain": ".txt",
    "text/html": ".html",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
}


def _filename(part: Message, index: int) -> str:
    name: Any
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        name = part.get_param("name")
        if isinstance(name, tuple):
            name = email.utils.collapse_rfc2231_value(name)
    if name:
        name = decode_header_value(name)
    if not name:
        name = f"attachment-{index}{_EXT.get(part.get_content_type(), '.bin')}"
    return name


def clean_filename(raw: str) -> str:
    """A sender's file name made safe to show and to put in Content-Disposition: no directories,
    no control characters, at most 200 characters keeping the extension."""
    import unicodedata

    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "attachment"


_MSGID_LINE = re.compile(r"(?im)^[ \t>]*Message-ID:\s*(<[^<>\s]+>)")
_STATUS_CODE = re.compile(r"\b([45]\.\d{1,3}\.\d{1,3})\b")


def _report(msg: Message, parsed: ParsedEmail, leaves: list[Message]) -> Report | None:
    ctype = msg.get_content_type()
    report_type = str(msg.get_param("report-type") or "").lower() if ctype == "multipart/report" else ""
    system_sender = parsed.from_addr.split("@", 1)[0].startswith(("mailer-daemon", "postmaster"))
    originals: list[str] = []
    status_text = ""
    for part in leaves:
        pct = part.get_content_type()
        if pct in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            data = _part_bytes(part)
            inner = quick_headers(data)
            originals += parse_message_ids(inner.get("Message-ID") or inner.get("Message-Id"))
        elif pct in (
            "message/delivery-status",
            "message/disposition-notification",
            "message/feedback-report",
        ):
            payload = part.get_payload()
            if isinstance(payload, list):
                status_text += "\n".join(
                    "\n".join(f"{k}: {v}" for k, v in p.raw_items())
                    for p in payload
                    if isinstance(p, Message)
                )
            else:
                status_text += str(payload)
    if system_sender and not report_type and not originals and not status_text:
        # A plain-text bounce (e.g. Gmail's): the original's headers are quoted in the text.
        own = set(parse_message_ids(_header(msg, "Message-ID")))
        originals = [m for m in parse_message_ids(" ".join(_MSGID_LINE.findall(parsed.text))) if m not in own]
        codes = _STATUS_CODE.findall(parsed.text)
        if originals:
            status_text = f"Action: failed\nStatus: {codes[0] if codes else ''}\n"
    if not report_type and not (system_sender and (originals or status_text)):
        return None
    originals += parse_message_ids(re.findall(r"(?im)^Original-Message-ID:\s*(\S+)", status_text) or None)
    originals += parsed.in_reply_to + parsed.references
    action = (re.findall(r"(?im)^Action:\s*(\w+)", status_text) or [""])[0].lower()
    code = (re.findall(r"(?im)^Status:\s*([245]\.\d{1,3}\.\d{1,3})", status_text) or [""])[0]
    diag = (re.findall(r"(?im)^Diagnostic-Code:\s*(.+(?:\n[ \t].+)*)", status_text) or [""])[0]
    rcpt = (re.findall(r"(?im)^(?:Final|Original)-Recipient:\s*(?:rfc822;)?\s*(\S+)", status_text) or [""])[0]
    if report_type == "disposition-notification":
        status = "displayed"
    elif report_type == "feedback-report":
        status = "complained"
    elif action == "delayed":
        status = "delayed"
    elif action in ("delivered", "relayed", "expanded"):
        status = "delivered"
    else:
        status = "bounced"
    return Report(
        report_type=report_type or "bounce",
        status=status,
        original_ids=list(dict.fromkeys(originals)),
        recipient=rcpt.strip("<>").lower(),
        diagnostic=" ".join(f"{code} {diag}".split())[:500],
    )


def _charset_hint(msg: Message) -> str | None:
    """The first non-ASCII charset the message declares anywhere (for raw 8-bit header bytes)."""
    for part in msg.walk() if msg.is_multipart() else [msg]:
        cs = part.get_param("charset")
        if isinstance(cs, tuple):
            cs = cs[2]
        if cs and str(cs).strip("\"' ").lower() not in ("us-ascii", "ascii"):
            return str(cs)
    return None


_OBS_FIELD = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")


def parse_email(raw: bytes, *, envelope_from: str | None = None, headers_only: bool = False) -> ParsedEmail:
    """Everything the channel needs from one raw message. Never raises on malformed MIME (defects
    are noted); raises only when the bytes are not a message at all (the caller quarantines)."""
    msg = quick_headers(raw) if headers_only else email.message_from_bytes(raw, policy=policy.compat32)
    if not list(msg.raw_items()):
        # RFC 5322 obsolete syntax allows blanks before the colon ("From  : …"); Python does not.
        head, body = split_head(raw)
        fixed = _OBS_FIELD.sub(rb"\1:", head)
        if fixed != head:
            raw = fixed + b"\n\n" + body
            msg = (
                quick_headers(raw) if headers_only else email.message_from_bytes(raw, policy=policy.compat32)
            )
    if not list(msg.raw_items()):
        raise ValueError("no header fields: this is not an email message")
    p = ParsedEmail(headers_only=headers_only)
    hint = _charset_hint(msg)
    ids = parse_message_ids(_header(msg, "Message-ID"))
    p.message_id = ids[0] if ids else ""
    p.in_reply_to = parse_message_ids(_header(msg, "In-Reply-To"))[:5]
    p.references = parse_message_ids(" ".join(_headers(msg, "References")))[-30:]
    senders = parse_addresses(_header(msg, "From"), hint) or parse_addresses(_header(msg, "Sender"), hint)
    if senders:
        p.from_name, p.from_addr = senders[0]
    replies = parse_addresses(_header(msg, "Reply-To"))
    p.reply_to = replies[0][1] if replies else ""
    p.to = [a for _n, a in parse_addresses(", ".join(_headers(msg, "To")))][:50]
    p.cc = [a for _n, a in parse_addresses(", ".join(_headers(msg, "Cc")))][:50]
    p.subject = " ".join(decode_header_value(_header(msg, "Subject"), hint).split())[:500]
    p.date = parse_date(_header(msg, "Date"))
    p.x_loop = [_unfold(v).strip().lower() for v in _headers(msg, "X-Loop")]
    rp = _header(msg, "Return-Path")
    p.return_path = _unfold(rp).strip() if rp else None
    p.auto_reasons = auto_reasons(msg, p.from_addr, envelope_from)
    if headers_only:
        return p
    for defect in getattr(msg, "defects", [])[:10]:
        p.notes.append(f"defect: {defect.__class__.__name__}")
    leaves = list(_leaves(msg))
    plains: list[str] = []
    htmls: list[str] = []
    index = 0
    for part in leaves:
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        has_name = bool(part.get_param("name") or part.get_param("filename", header="content-disposition"))
        is_body_text = (
            ctype in ("text/plain", "text/html")
            and disposition != "attachment"
            and not (has_name and disposition)
        )
        if part is msg and ctype not in ("text/plain", "text/html") and part.get_content_maintype() == "text":
            is_body_text = True  # text/enriched, text/x-whatever as the only part: show it as text
        if is_body_text:
            text = _part_text(part, p.notes)
            (htmls if ctype == "text/html" else plains).append(text)
            continue
        if part is msg and part.get_content_maintype() == "multipart":
            continue  # a multipart without parts (broken): nothing to show
        index += 1
        cid = _unfold(str(part.get("Content-ID", ""))).strip().strip("<>")[:255]
        p.attachments.append(
            Attachment(
                filename=_filename(part, index)[:200],
                content_type=ctype[:120],
                data=_part_bytes(part),
                content_id=cid,
                is_inline=disposition == "inline",
            )
        )
    if htmls:
        p.html_safe = sanitize_html("\n<hr>\n".join(htmls))
    p.text = "\n\n".join(t.strip("\n") for t in plains if t.strip())
    if not p.text and htmls:
        p.text = html_to_text("\n".join(htmls))
    p.text = p.text.replace("\x00", "")
    p.new_part_end = new_part_end(p.text)
    p.report = _report(msg, p, leaves)
    return p


def clamp_received(
    sent: datetime | None, *, stored_at: datetime, now: datetime, max_past_days: int
) -> datetime:
    """The ticket's received time: the Date header, never in the future, and never more than
    `max_past_days` before we stored the message (a wrong clock would breach every clock at once);
    otherwise the time we stored it."""
    if sent is None:
        return min(stored_at, now)
    if sent > now:
        return now
    if (stored_at - sent).days > max_past_days:
        return min(stored_at, now)
    return sent
