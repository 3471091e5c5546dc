"""Which files a ticket may carry (SEC-5 upload checks): extension, MIME type and magic bytes.

A file is accepted only when its extension is listed here *and* its first bytes match what that
extension promises, so a renamed executable or HTML page cannot slip in as "photo.jpg".
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass

# How many leading bytes the checks look at.
SNIFF_BYTES = 4096


def _starts(*prefixes: bytes) -> Callable[[bytes], bool]:
    return lambda head: any(head.startswith(p) for p in prefixes)


def _riff(kind: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] == b"RIFF" and head[8:12] == kind


def _iso_media(head: bytes) -> bool:
    # MP4 / MOV / M4A: a box of type "ftyp" at offset 4.
    return head[4:8] == b"ftyp"


def _text(head: bytes) -> bool:
    """Plain text: UTF-8 (or GB18030, common in Chinese CSV exports) without NUL bytes."""
    if b"\x00" in head:
        return False
    # The sniffed head may end in the middle of a multi-byte character: decode incrementally.
    final = len(head) < SNIFF_BYTES
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=final)
            return True
        except UnicodeDecodeError:
            continue
    return False


_ZIP = _starts(b"PK\x03\x04")


@dataclass(frozen=True)
class FileKind:
    content_type: str
    matches: Callable[[bytes], bool]


ALLOWED: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", _starts(b"%PDF-")),
    "png": FileKind("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": FileKind("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": FileKind("image/jpeg", _starts(b"\xff\xd8\xff")),
    "gif": FileKind("image/gif", _starts(b"GIF87a", b"GIF89a")),
    "webp": FileKind("image/webp", _riff(b"WEBP")),
    "docx": FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": FileKind("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "zip": FileKind("application/zip", _ZIP),
    # Call recordings and videos of a machine fault.
    "mp3": FileKind("audio/mpeg", _starts(b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    "wav": FileKind("audio/wav", _riff(b"WAVE")),
    "mp4": FileKind("video/mp4", _iso_media),
    "mov": FileKind("video/quicktime", _iso_media),
    "m4a": FileKind("audio/mp4", _iso_media),
    "txt": FileKind("text/plain", _text),
    "csv": FileKind("text/csv", _text),
    "log": FileKind("text/plain", _text),
}

# The accept= attribute of upload inputs.
ACCEPT = ",".join(f".{ext}" for ext in ALLOWED)
