"""Writes for attachments: checked, stored outside the web root, recorded on the timeline and audited."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.tickets.choices import Direction, InteractionKind
from herdesk.tickets.services import interaction_add

from .choices import ALLOWED, SNIFF_BYTES
from .models import Attachment

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "HERDESK_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _limit_text(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(limit // 1024, 1)} KB"


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve()


def clean_name(raw: str) -> str:
    """The uploader's file name, safe to show and to put in Content-Disposition: no path, no control
    characters, at most 200 characters (keeping the extension)."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def _chunks(upload: Any) -> Iterable[bytes]:
    if hasattr(upload, "chunks"):
        yield from upload.chunks()
        return
    while chunk := upload.read(64 * 1024):
        yield chunk


@transaction.atomic
def attachment_add(
    *,
    ticket: Any,
    actor: Any,
    upload: Any,
    name: str | None = None,
    is_public: bool = False,
    at: datetime | None = None,
) -> Attachment:
    """Check and store one uploaded file for `ticket`.

    Checks (SEC-5): a listed extension, a non-empty body no larger than HERDESK_ATTACHMENT_MAX_BYTES,
    and leading bytes that match the extension. The bytes are written under
    MEDIA_ROOT/attachments/YYYY/MM/<random> (never the uploader's name) before the row is inserted;
    if anything in here fails, the file is removed (a rollback of an outer transaction leaves an
    unreferenced file, which is never served). Side effects: an internal timeline entry and an
    audit entry, both in the caller's transaction. Raises ValidationError keyed by "file".
    """

    at = at or timezone.now()
    display = clean_name(name if name is not None else getattr(upload, "name", ""))
    ext = display.rpartition(".")[2].lower() if "." in display else ""
    kind = ALLOWED.get(ext)
    if not display:
        raise ValidationError({"file": _("The file needs a name.")})
    if kind is None:
        raise ValidationError(
            {
                "file": _("Files of type “.%(ext)s” are not accepted. Accepted: %(allowed)s.")
                % {"ext": ext[:10] or "?", "allowed": ", ".join(sorted(ALLOWED))}
            }
        )
    limit = max_bytes()
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(limit)s.") % {"limit": _limit_text(limit)}}
        )

    rel = Path("attachments") / f"{at:%Y}" / f"{at:%m}" / uuid.uuid4().hex
    root = media_root()
    target = (root / rel).resolve()
    if root not in target.parents:  # defence in depth: the path is ours, but never leave MEDIA_ROOT
        raise ValidationError({"file": _("The file could not be stored.")})
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(target, "xb") as out:
            for chunk in _chunks(upload):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(
                        {"file": _("The file is larger than %(limit)s.") % {"limit": _limit_text(limit)}}
                    )
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
        os.chmod(target, 0o640)
        if size == 0:
            raise ValidationError({"file": _("The file is empty.")})
        if not kind.matches(head):
            raise ValidationError(
                {
                    "file": _("The content of “%(name)s” does not match its type (.%(ext)s).")
                    % {"name": display[:80], "ext": ext}
                }
            )
        attachment = Attachment.objects.create(
            ticket=ticket,
            original_name=display,
            extension=ext,
            content_type=kind.content_type,
            size=size,
            sha256=digest.hexdigest(),
            storage_path=str(rel),
            is_public=is_public,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            uploaded_at=at,
        )
        # A system event, public when the file is: the customer sees "file added" for files they can
        # download, and nothing about internal ones.
        interaction_add(
            ticket=ticket,
            actor=actor,
            body=_("Attachment added: %(name)s") % {"name": display},
            kind=InteractionKind.SYSTEM_EVENT,
            direction=Direction.INTERNAL,
            occurred_at=at,
            is_public=is_public,
            data={"attachment": attachment.pk},
        )
        audit_record(
            actor=actor,
            action="attachment.add",
            object_type="ticket",
            object_id=ticket.number,
            data={
                "attachment": attachment.pk,
                "sha256": attachment.sha256,
                "size": size,
                "public": is_public,
            },
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return attachment


@dataclass(frozen=True)
class StoredFile:
    """A checked upload written under MEDIA_ROOT (`rel`), for a feature's own attachment row."""

    name: str  # the uploader's name, cleaned for display
    extension: str
    content_type: str
    size: int
    sha256: str
    rel: str

    def discard(self) -> None:
        """Remove the bytes (the caller's row could not be written)."""
        (media_root() / self.rel).unlink(missing_ok=True)


def file_store_checked(*, upload: Any, folder: str, at: datetime) -> StoredFile:
    """Check an uploaded file as ticket attachments are checked (SEC-5: listed type, non-empty, size
    limit, content matching the extension) and write it to MEDIA_ROOT/<folder>/YYYY/MM/<random>.
    For the small files of the knowledge base and the training materials (read into memory); the
    caller inserts its row and calls `discard()` if that fails. Raises ValidationError keyed "file"."""
    display = clean_name(getattr(upload, "name", ""))
    ext = display.rpartition(".")[2].lower() if "." in display else ""
    kind = ALLOWED.get(ext)
    if not display or kind is None:
        raise ValidationError(
            {
                "file": _("Files of type “.%(ext)s” are not accepted. Accepted: %(allowed)s.")
                % {"ext": ext[:10] or "?", "allowed": ", ".join(sorted(ALLOWED))}
            }
        )
    data = upload.read(max_bytes() + 1)
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if len(data) > max_bytes():
        raise ValidationError({"file": _("The file is too large.")})
    if not kind.matches(data[:SNIFF_BYTES]):
        raise ValidationError(
            {
                "file": _("The content of “%(name)s” does not match its type (.%(ext)s).")
                % {"name": display[:80], "ext": ext}
            }
        )
    rel = Path(folder) / f"{at:%Y}" / f"{at:%m}" / uuid.uuid4().hex
    target = (media_root() / rel).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        out.write(data)
    os.chmod(target, 0o640)
    return StoredFile(display, ext, kind.content_type, len(data), hashlib.sha256(data).hexdigest(), str(rel))


def stored_file_path(rel: str) -> Path:
    """The file of a stored path, never outside MEDIA_ROOT (FileNotFoundError)."""
    root = media_root()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise FileNotFoundError(rel)
    return path


def attachment_path(attachment: Attachment) -> Path:
    """Absolute path of the stored bytes; refuses anything that would resolve outside MEDIA_ROOT."""
    root = media_root()
    path = (root / attachment.storage_path).resolve()
    if root not in path.parents:
        raise FileNotFoundError(attachment.storage_path)
    return path
