"""`herdesk smtpd`: receive mail by SMTP (aiosmtpd) for our mailbox addresses.

Each DATA is stored raw, once per recipient mailbox, and answered "250" only after the store has
committed; if storing fails the answer is "451" and the sending server keeps the message and
retries (nothing is lost on either side). A worker thread then processes what was stored; the
backlog is processed again at start (after a crash). RCPT TO of an address that is not one of our
active mailboxes is refused with 550 (we are not a relay).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

from aiosmtpd.controller import Controller
from django.db import close_old_connections, connections

from herdesk.inbound import services as inbound

from . import conf, selectors
from .choices import CHANNEL
from .parsing import identity

log = logging.getLogger(__name__)


def store_delivery(*, raw: bytes, rcpt_tos: list[str], mail_from: str, peer: str = "") -> list[int]:
    """Store one SMTP delivery for each recipient mailbox (committed). Returns the ids of the
    payloads that now wait for processing. Raises when storing failed (→ 451)."""
    close_old_connections()
    try:
        try:
            message_id, content_key = identity(raw)
        except Exception:
            message_id, content_key = "", ""
        codes: list[str] = []
        for rcpt in rcpt_tos:
            mb = selectors.mailbox_by_address(rcpt)
            if mb is not None and mb.code not in codes:
                codes.append(mb.code)
        pending = []
        for code in codes:
            stored = inbound.payload_store(
                channel=CHANNEL,
                source=code,
                raw=raw,
                external_id=message_id,
                content_key=content_key,
                # The envelope sender itself is personal data; only whether it was empty (a bounce,
                # RFC 3834: never auto-reply) matters downstream.
                meta={"transport": "smtp", "null_sender": mail_from.strip() in ("", "<>"), "peer": peer},
            )
            if stored.payload.state == "pending":
                pending.append(stored.payload.pk)
        return pending
    finally:
        connections.close_all()  # executor threads come and go: never leave a connection behind


class InboundHandler:
    """aiosmtpd handler: database work runs in a thread (Django's ORM is synchronous)."""

    def __init__(self, on_stored: Any = None) -> None:
        self.on_stored = on_stored

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        loop = asyncio.get_running_loop()
        mailbox = await loop.run_in_executor(None, _mailbox_exists, address)
        if not mailbox:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or (
            envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        )
        peer = str(session.peer[0]) if getattr(session, "peer", None) else ""
        loop = asyncio.get_running_loop()
        try:
            ids = await loop.run_in_executor(
                None,
                lambda: store_delivery(
                    raw=raw, rcpt_tos=list(envelope.rcpt_tos), mail_from=envelope.mail_from or "", peer=peer
                ),
            )
        except Exception:
            log.exception("smtpd: message not stored")
            return "451 4.3.0 Temporary failure: message not stored, please retry"
        if self.on_stored is not None:
            for pid in ids:
                self.on_stored(pid)
        return "250 2.0.0 OK: stored"


def _mailbox_exists(address: str) -> bool:
    close_old_connections()
    try:
        return selectors.mailbox_by_address(address) is not None
    finally:
        connections.close_all()


class SmtpServer:
    """The SMTP listener plus the processing worker. `start()` / `stop()` (tests, the command)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.queue: queue.Queue[int | None] = queue.Queue()
        self.handler = InboundHandler(on_stored=self.queue.put)
        self.controller = Controller(
            self.handler,
            hostname=host,
            port=port,
            data_size_limit=conf.smtpd_max_bytes(),
            enable_SMTPUTF8=True,
            ready_timeout=10.0,
        )
        self.worker = threading.Thread(target=self._work, name="herdesk-smtpd-worker", daemon=True)
        self.processed = 0

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def _work(self) -> None:
        close_old_connections()
        try:
            inbound.payloads_process_pending(channel=CHANNEL)  # what a crash left behind
        except Exception:
            log.exception("smtpd: backlog processing failed")
        while True:
            pid = self.queue.get()
            if pid is None:
                break
            try:
                inbound.payload_process(payload_id=pid)
                self.processed += 1
            except Exception:  # the payload stays pending; the next start or poll retries it
                log.exception("smtpd: processing payload %s failed", pid)
            finally:
                close_old_connections()
                self.queue.task_done()
        connections.close_all()

    def start(self, *, process: bool = True) -> SmtpServer:
        if process:
            self.worker.start()
        self.controller.start()
        return self

    def wait_processed(self, timeout: float = 10.0) -> None:
        """For tests: block until every stored payload handed to the worker was processed."""
        done = threading.Event()

        def waiter() -> None:
            self.queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        done.wait(timeout)

    def stop(self) -> None:
        try:
            self.controller.stop()
        finally:
            if self.worker.is_alive():
                self.queue.put(None)
                self.worker.join(timeout=30)
