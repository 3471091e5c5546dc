"""`herdesk search reindex [--batch N]` and `herdesk search explain QUERY` (KB-2).

reindex rebuilds every ticket's search document (safe to run at any time and to interrupt);
explain prints the normalised terms and which index answers the query on this database.
Bad input is reported with exit code 2 (a usage error).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.search.selectors import match_plan, parse_query
from herdesk.search.services import search_reindex_all


class Command(BaseCommand):
    help = "Search index maintenance: `search reindex [--batch N]`, `search explain QUERY`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{reindex,explain}")
        reindex = sub.add_parser("reindex", help="rebuild every ticket's search document")
        reindex.add_argument("--batch", type=int, default=5000, help="tickets per transaction (default 5000)")
        explain = sub.add_parser("explain", help="show the terms and the index used for a query")
        explain.add_argument("query")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "explain":
            try:
                terms = parse_query(opts["query"])
            except ValidationError as e:
                raise CommandError("; ".join(e.messages), returncode=2)
            self.stdout.write(f"terms: {terms}\nplan: {match_plan(opts['query']) if terms else '-'}")
            return
        if opts["batch"] < 1:
            raise CommandError("--batch must be at least 1", returncode=2)
        started = time.monotonic()
        verbose = opts.get("verbosity", 1) >= 1 and sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if verbose:
                sys.stderr.write(f"\r{done}/{total} tickets")

        changed = search_reindex_all(batch=opts["batch"], progress=progress)
        if verbose:
            sys.stderr.write("\n")
        self.stdout.write(f"{changed} search documents written in {time.monotonic() - started:.1f} s")
