"""IMAP fetching with imap-tools. Messages are read with BODY.PEEK (nothing is flagged by reading);
the caller stores each one and only then calls `done()`, which flags, moves or deletes it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from imap_tools import MailBox, MailBoxUnencrypted, MailMessage

from . import conf
from .choices import AfterFetch
from .models import Mailbox

CHUNK = 25


class _RawMessage(MailMessage):
    """imap-tools' message without parsing: we need the exact bytes, and parse them ourselves."""

    def __init__(self, fetch_data: list) -> None:
        raw, uid_data, flag_data = self._get_message_data_parts(fetch_data)
        self._raw_uid_data = uid_data
        self._raw_flag_data = flag_data
        self.raw: bytes = raw
        self.obj: Any = None


@dataclass
class Fetched:
    uid: str
    raw: bytes


def connect(mailbox: Mailbox) -> Any:
    cls = MailBox if mailbox.imap_ssl else MailBoxUnencrypted
    client = cls(mailbox.imap_host, mailbox.imap_port, timeout=conf.imap_timeout())
    client.email_message_class = _RawMessage
    return client.login(
        mailbox.imap_user, mailbox.imap_password, initial_folder=mailbox.imap_folder or "INBOX"
    )


def _after(client: Any, mailbox: Mailbox, uids: list[str]) -> None:
    if not uids:
        return
    if mailbox.after_fetch == AfterFetch.DELETE:
        client.delete(uids)
    elif mailbox.after_fetch == AfterFetch.MOVE:
        client.move(uids, mailbox.move_to)
    else:
        client.flag(uids, r"\Seen", True)


def fetch_unseen(
    mailbox: Mailbox, *, limit: int
) -> Iterator[tuple[list[Fetched], Callable[[list[str]], None]]]:
    """Yield (messages, finish) per chunk of unseen messages, oldest first. The caller stores the
    chunk, then calls finish(uids) with the uids it stored: only those are flagged / moved /
    deleted. If the caller stops (a crash), the rest stay unseen and are offered again."""
    with connect(mailbox) as client:
        uids = list(client.uids("UNSEEN"))[:limit]
        for start in range(0, len(uids), CHUNK):
            chunk = [
                Fetched(uid=msg.uid or "", raw=msg.raw)
                for msg in client.fetch(uid_list=uids[start : start + CHUNK], mark_seen=False, bulk=True)
            ]
            yield chunk, (lambda done: _after(client, mailbox, done))
