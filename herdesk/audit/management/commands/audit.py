from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.audit.services import audit_anchor, audit_verify


class Command(BaseCommand):
    help = (
        "Audit log tools. `herdesk audit verify` checks the keyed hash chain and the anchors, lists every "
        "break and exits 1 if there is one; `herdesk audit anchor` appends the signed chain head to the "
        "anchor file now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="verify the hash chain against the anchors")
        verify.add_argument("--anchor-file", default=None, help="anchor file (default: the configured one)")
        anchor = sub.add_parser("anchor", help="anchor the chain head outside the database now")
        anchor.add_argument("--anchor-file", default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "anchor":
            written = audit_anchor(anchor_file=opts["anchor_file"], force=True)
            self.stdout.write(f"anchored #{written['seq']}" if written else "nothing to anchor (empty chain)")
            return
        result = audit_verify(anchor_file=opts["anchor_file"])
        notes = f"{result.anchors} anchors checked"
        if result.legacy:
            notes += f"; entries #1–#{result.legacy} predate the keyed chain (plain SHA-256)"
        if not result.ok:
            for item in result.breaks:
                self.stderr.write(f"BREAK at #{item.seq}: {item.reason}")
            raise CommandError(
                f"audit log FAILED: {len(result.breaks)} break(s), the first at entry "
                f"#{result.first_bad_seq}: {result.reason} ({result.checked} entries read; {notes})",
                returncode=1,
            )
        self.stdout.write(f"audit log OK: {result.checked} entries verified ({notes})")
