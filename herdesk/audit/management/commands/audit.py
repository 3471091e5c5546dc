from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. `herdesk audit verify` checks the hash chain and exits 1 at the first bad entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="verify the hash chain")

    def handle(self, *args: Any, **opts: Any) -> None:
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"audit log FAILED at entry #{result.first_bad_seq}: {result.reason} "
                f"({result.checked} entries verified before it)",
                returncode=1,
            )
        self.stdout.write(f"audit log OK: {result.checked} entries verified")
