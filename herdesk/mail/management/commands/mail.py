"""`herdesk mail poll|process|add-mailbox|list`: the email channel from the command line."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.inbound.services import payloads_process_pending
from herdesk.mail import services
from herdesk.mail.choices import CHANNEL
from herdesk.mail.models import Mailbox


class Command(BaseCommand):
    help = "Email channel: poll mailboxes, process the backlog, add or list mailboxes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        poll = sub.add_parser("poll", help="Fetch unseen mail now (all active mailboxes, or one).")
        poll.add_argument("--mailbox", help="mailbox code")
        poll.add_argument("--limit", type=int, default=None, help="at most N messages per mailbox")
        process = sub.add_parser("process", help="Process stored but unprocessed mail (after a crash).")
        process.add_argument("--limit", type=int, default=5000)
        add = sub.add_parser("add-mailbox", help="Add a mailbox.")
        add.add_argument("code")
        add.add_argument("address")
        add.add_argument("--kind", choices=["primary", "secondary"], default="primary")
        add.add_argument("--name", default="", help="sender name shown on outgoing mail")
        add.add_argument("--imap-host", default="")
        add.add_argument("--imap-port", type=int, default=993)
        add.add_argument("--imap-user", default="")
        add.add_argument("--imap-password", default="", help="or set HERDESK_IMAP_PASSWORD")
        add.add_argument("--imap-folder", default="INBOX")
        add.add_argument("--no-ssl", action="store_true", help="plain IMAP (test servers only)")
        add.add_argument("--after", choices=["seen", "move", "delete"], default="seen")
        add.add_argument("--move-to", default="")
        sub.add_parser("list", help="List mailboxes.")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "poll":
            if opts["mailbox"]:
                mb = Mailbox.objects.filter(code=opts["mailbox"]).first()
                if mb is None:
                    raise CommandError(f"no mailbox {opts['mailbox']!r}")
                r = services.mail_poll(mailbox=mb, limit=opts["limit"])
                out: Any = {mb.code: r.__dict__}
            else:
                out = services.mail_poll_all(force=True)
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        elif action == "process":
            self.stdout.write(json.dumps(payloads_process_pending(channel=CHANNEL, limit=opts["limit"])))
        elif action == "add-mailbox":
            import os

            try:
                mb = services.mailbox_create(
                    code=opts["code"],
                    address=opts["address"],
                    kind=opts["kind"],
                    display_name=opts["name"],
                    imap_host=opts["imap_host"],
                    imap_port=opts["imap_port"],
                    imap_user=opts["imap_user"],
                    imap_password=opts["imap_password"] or os.environ.get("HERDESK_IMAP_PASSWORD", ""),
                    imap_folder=opts["imap_folder"],
                    imap_ssl=not opts["no_ssl"],
                    after_fetch=opts["after"],
                    move_to=opts["move_to"],
                )
            except ValidationError as exc:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
            self.stdout.write(f"mailbox {mb.code} <{mb.address}> ({mb.kind}) added")
        elif action == "list":
            for mb in Mailbox.objects.order_by("code"):
                imap = (
                    f"{mb.imap_user}@{mb.imap_host}:{mb.imap_port}/{mb.imap_folder}" if mb.imap_host else "-"
                )
                self.stdout.write(
                    f"{mb.code}\t{mb.address}\t{mb.kind}\t{'active' if mb.active else 'off'}\t{imap}"
                )
