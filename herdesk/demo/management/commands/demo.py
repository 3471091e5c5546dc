from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from herdesk.demo.data import DEMO_PASSWORD, STAFF
from herdesk.demo.services import demo_load, demo_token


class Command(BaseCommand):
    help = "Demo data. `herdesk demo load` (idempotent) loads the demo company, staff, customers, tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load the demo data (safe to run again)")
        load.add_argument("--customers", type=int, default=200)
        load.add_argument("--tickets", type=int, default=1000)
        load.add_argument("--token", action="store_true", help="print a new API token for agent1")
        load.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        with tqdm(total=o["customers"] + o["tickets"], desc="demo", unit="row", disable=o["quiet"]) as bar:
            summary = demo_load(customers=o["customers"], tickets=o["tickets"], progress=bar.update)
        self.stdout.write(f"demo data: {summary}")
        if o["token"]:
            self.stdout.write(f"API token for agent1 (shown once): {demo_token()}")
        from herdesk.staff.twofactor import demo_two_factor_lines  # SEC-5: pre-enrolled 2FA devices

        self.stdout.write("\n".join(demo_two_factor_lines(verbose=not o["quiet"])))
        if not o["quiet"]:
            self.stdout.write(
                f"Demo logins (password {DEMO_PASSWORD}): "
                + ", ".join(f"{u} ({r})" for u, _n, r, _t, _l in STAFF)
                + ", customer1 (customer)"
            )
