"""`herdesk backup …`: backups and the restore drill (SEC-4; herdesk.ops.backup).

herdesk backup take --dest DIR [--keys-file F] [--no-media]   database (no subject keys) + media + manifest
herdesk backup drill [--keys-file F] [--sample N] [--json]    take a backup, restore it into a scratch
                                                             database, verify it there; exit 1 on a problem
herdesk backup verify [--keys F] [--media DIR] [--anchor-file F] [--json]   (run by the drill inside
                                                             the restored database)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.ops import backup


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("take", help="write a backup")
        t.add_argument("--dest", required=True)
        t.add_argument("--keys-file", default=None, help="the key export (default HERDESK_SUBJECT_KEYS_FILE)")
        t.add_argument("--no-media", action="store_true")
        d = sub.add_parser("drill", help="backup, restore into a scratch database, verify")
        d.add_argument("--keys-file", default=None)
        d.add_argument("--sample", type=int, default=20)
        d.add_argument("--json", action="store_true")
        v = sub.add_parser("verify", help="check a restored database (run by the drill)")
        v.add_argument("--keys", default=None)
        v.add_argument("--media", default=None)
        v.add_argument("--anchor-file", default=None)
        v.add_argument("--sample", type=int, default=20)
        v.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        getattr(self, "_" + o["action"])(o)

    def _take(self, o: dict[str, Any]) -> None:
        b = backup.backup_take(
            dest=Path(o["dest"]),
            keys_file=Path(o["keys_file"]) if o["keys_file"] else None,
            media=not o["no_media"],
        )
        self.stdout.write(f"backup: {b.database} ({b.vendor}); media: {b.media}; manifest: {b.manifest}")
        self.stdout.write(
            f"subject keys: {b.keys or 'NOT exported (set HERDESK_SUBJECT_KEYS_FILE or --keys-file)'}"
        )

    def _drill(self, o: dict[str, Any]) -> None:
        report = backup.restore_drill(
            keys_file=Path(o["keys_file"]) if o["keys_file"] else None, sample=o["sample"]
        )
        if o["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(
                f"restore drill ({report.vendor}, {report.backup}, {report.seconds} s): "
                f"{'OK' if report.ok else 'FAILED'}"
            )
            for label, (expected, got) in report.counts.items():
                self.stdout.write(f"  {label:28} manifest {expected:>9}  restored {got:>9}")
            audit = report.verify.get("audit", {})
            self.stdout.write(
                f"  audit verify: {'OK' if audit.get('ok') else 'BROKEN'} ({audit.get('checked')} entries)"
            )
            self.stdout.write(
                f"  sample: {report.verify.get('tickets_sampled')} tickets, "
                f"{report.verify.get('contacts_readable')} contacts readable, "
                f"{report.verify.get('contacts_empty_or_shredded')} empty or shredded, "
                f"{report.verify.get('attachments_checked')} attachments checked"
            )
            for p in report.problems:
                self.stdout.write(f"  PROBLEM: {p}")
        if not report.ok:
            raise CommandError("restore drill failed", returncode=1)

    def _verify(self, o: dict[str, Any]) -> None:
        out = backup.restored_verify(
            keys=Path(o["keys"]) if o["keys"] else None,
            media=Path(o["media"]) if o["media"] else None,
            anchor_file=o["anchor_file"],
            sample=o["sample"],
        )
        self.stdout.write(json.dumps(out, ensure_ascii=False) if o["json"] else repr(out))
