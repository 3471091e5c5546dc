"""`herdesk retention …`: retention per data class and the monthly archive (CLS-3, SEC-4).

herdesk retention run [--now ISO] [--json]   archive finished months, purge what is past retention
herdesk retention policy                     the retention periods in force
herdesk retention verify                     archive files and lines against their checksums (exit 1)
herdesk retention find NUMBER                a ticket's archived record(s), decrypted (audited)
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from herdesk.privacy import retention


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("run", help="archive and purge what is due")
        r.add_argument("--now", default=None, help="pretend it is this ISO time (a test or a catch-up)")
        r.add_argument("--json", action="store_true")
        sub.add_parser("policy", help="the retention periods")
        sub.add_parser("verify", help="check the archive files")
        f = sub.add_parser("find", help="read a ticket back from the archive")
        f.add_argument("number")

    def handle(self, *args: Any, **o: Any) -> None:
        action = o["action"]
        if action == "policy":
            for k, v in retention.policy().items():
                self.stdout.write(f"{k:28} {v}")
        elif action == "run":
            now = None
            if o["now"]:
                now = parse_datetime(o["now"])
                if now is None or now.tzinfo is None:
                    raise CommandError("--now must be an ISO time with its offset", returncode=2)
            report = retention.retention_run(now=now, actor="cli")
            if o["json"]:
                self.stdout.write(json.dumps(report, ensure_ascii=False))
            else:
                for a in report["archived"]:
                    self.stdout.write(
                        f"archived {a['month']}: {a['tickets']} tickets (sha256 {a['sha256'][:16]}…)"
                    )
                self.stdout.write(
                    f"purged: {report['archives_purged']} archive files, {report['raw_payloads_purged']} raw "
                    f"payloads; customers erased after inactivity: {report['customers_erased']}"
                )
        elif action == "verify":
            problems = retention.archive_verify()
            for p in problems:
                self.stdout.write(f"PROBLEM: {p}")
            if problems:
                raise CommandError(f"{len(problems)} problem(s)", returncode=1)
            self.stdout.write("archive OK")
        elif action == "find":
            records = retention.archived_ticket_read(actor="cli", number=o["number"])
            if not records:
                raise CommandError(f"{o['number']} is not in the archive", returncode=2)
            self.stdout.write(json.dumps(records, ensure_ascii=False, indent=2))
