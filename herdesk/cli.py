"""The `herdesk` command: a readable front door to manage.py.

`herdesk serve`, `herdesk demo load`, `herdesk user create`, `herdesk token create --user NAME`,
`herdesk audit verify`, `herdesk calendar add|elapsed|import-holidays`, `herdesk compliance report`
and everything `manage.py` offers (`herdesk migrate`, `herdesk shell`, ...).
"""

from __future__ import annotations

import os
import sys

HELP = """\
herdesk — 牧服 customer service & after-sales management

Usage: herdesk COMMAND [ARGS...]      (herdesk COMMAND --help for details)

Everyday commands / 常用命令:
  serve [--host H] [--port P] [--workers N]   Serve web + API + WebSockets (uvicorn), with the
                                              in-process scheduler on the embedded default
  demo load                                   Load the demo company, staff, customers, tickets (idempotent)
  user create USERNAME --role ROLE [--team T] Create a staff user (roles: agent, tech_engineer, ...)
  token create --user USERNAME                Create an API token (shown once; --scopes, --expires-days)
  token list [--user U] / token revoke PREFIX  List API tokens (scopes, expiry, last use) / revoke one
  audit verify / anchor                       Check the keyed audit chain (every break) / anchor its head
  user 2fa-reset USERNAME                     Remove a user's second factor (lost phone); audited
  privacy open|list|export|erase|complete     Data-subject requests (deadline on the working calendar)
  privacy keys-adopt                          Per-subject data keys for customers written before them
  retention run|policy|verify|find NUMBER     Monthly archive and retention purge (CLS-3, SEC-4)
  backup take --dest DIR / backup drill       Backup (no subject keys in it) / restore drill with audit verify
  triage train|evaluate|suggest --jsonl       Automatic classification: train, measure, suggest for scripts
  kpi --month YYYY-MM [--json] / --recompute  Every service KPI of a month or quarter / rebuild the rollups
  report monthly|quarterly ... --format pdf|xlsx --out FILE   The service report pack (服务数据汇总)
  calendar add CALENDAR START DURATION        Working-time arithmetic: due instant (e.g. 2h, 3wd)
  calendar elapsed CALENDAR START END         Working seconds between two instants
  calendar import-holidays FILE.json          Load a year's official holidays and make-up workdays
  compliance report --month YYYY-MM           Clock compliance summary per clock kind
  sweep                                       Run one clock sweep now
  search reindex                              Rebuild the Chinese full-text index
  mail poll / smtpd                           Poll the IMAP mailboxes / receive mail by SMTP
  bench generate --tickets N                  Generate a realistic data set for benchmarks
  worker / beat                               Celery worker / beat (deployment with Redis)

Everything manage.py offers works too: herdesk migrate, herdesk shell, herdesk help (full list).
Settings: DJANGO_SETTINGS_MODULE (default config.settings.local), DATABASE_URL, REDIS_URL.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in {"-h", "--help"}:
        sys.stdout.write(HELP)
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    argv[0] = "herdesk"
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
