"""`herdesk calendar add|elapsed|import-holidays`: working-time arithmetic from the shell (CAL-2).

Bad input (unknown calendar, malformed instant or duration, unreadable holiday file) is reported on
stderr with exit code 2, the usual code for a usage error, so scripts can tell it from a crash (1).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.calendars.engine import WorkingCalendar, parse_duration
from herdesk.calendars.models import Calendar
from herdesk.calendars.selectors import working_calendar
from herdesk.calendars.services import holidays_import

USAGE_ERROR = 2


def _usage_error(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def _instant(text: str, what: str) -> datetime:
    """An ISO 8601 instant with an explicit UTC offset (Z allowed); a bare local time is ambiguous."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _usage_error(f"{what} {text!r} is not an ISO 8601 instant such as 2026-09-30T17:30:00+08:00")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _usage_error(
            f"{what} {text!r} has no UTC offset: add one, e.g. {text.strip()}+08:00 (or Z for UTC)"
        )
    return value


def _calendar(code: str) -> WorkingCalendar:
    try:
        return working_calendar(code)
    except Calendar.DoesNotExist:
        known = ", ".join(Calendar.objects.order_by("code").values_list("code", flat=True)) or "none"
        raise _usage_error(f"unknown calendar {code!r} (known: {known})")


class Command(BaseCommand):
    help = (
        "Working-time arithmetic. `calendar add CALENDAR START DURATION` prints the due instant; "
        "`calendar elapsed CALENDAR START END` prints working seconds; "
        "`calendar import-holidays FILE.json` loads a year's official holidays and make-up workdays."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{add,elapsed,import-holidays}")
        add = sub.add_parser("add", help="due instant of DURATION started at START")
        add.add_argument("calendar", help="calendar code, e.g. office, hotline, 24x7")
        add.add_argument("start", help="ISO 8601 instant with offset, e.g. 2026-09-30T17:30:00+08:00")
        add.add_argument("duration", help="30m, 4h, 2h30m, 90s or 3wd (working days)")
        # Let "-2h" reach parse_duration (which explains that targets cannot be negative) instead of
        # argparse mistaking it for an unknown option. argparse consults this private pattern to decide
        # whether a leading "-" starts a positional; if a future Python drops it, only the message changes.
        add._negative_number_matcher = re.compile(r"^-\d")
        elapsed = sub.add_parser("elapsed", help="working seconds in [START, END)")
        elapsed.add_argument("calendar")
        elapsed.add_argument("start")
        elapsed.add_argument("end")
        imp = sub.add_parser(
            "import-holidays", help='load {"holidays": [...], "workdays": [...]} from a JSON file'
        )
        imp.add_argument("file")
        imp.add_argument("--source", default="", help="where the dates come from (default: the file name)")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "add":
            self._add(opts)
        elif action == "elapsed":
            self._elapsed(opts)
        else:
            self._import(opts)

    def _add(self, opts: dict[str, Any]) -> None:
        start = _instant(opts["start"], "START")
        try:
            duration = parse_duration(opts["duration"])
        except ValueError as exc:
            raise _usage_error(str(exc))
        calendar = _calendar(opts["calendar"])
        try:
            due = calendar.add(start, duration)
        except (ValueError, OverflowError) as exc:
            raise _usage_error(f"cannot compute a due instant: {exc}")
        self.stdout.write(due.isoformat())

    def _elapsed(self, opts: dict[str, Any]) -> None:
        start = _instant(opts["start"], "START")
        end = _instant(opts["end"], "END")
        calendar = _calendar(opts["calendar"])
        try:
            seconds = calendar.elapsed(start, end)
        except (ValueError, OverflowError) as exc:
            raise _usage_error(f"cannot compute elapsed working time: {exc}")
        self.stdout.write(str(seconds))

    def _import(self, opts: dict[str, Any]) -> None:
        path = Path(opts["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise _usage_error(f"cannot read {path}: {exc.strerror or exc}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _usage_error(f"{path} is not valid JSON: {exc}")
        source = opts["source"] or (data.get("source") if isinstance(data, dict) else None) or path.name
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "source"}
        try:
            created, updated = holidays_import(data=data, source=str(source))
        except ValueError as exc:
            raise _usage_error(f"{path}: {exc}")
        n_holidays, n_workdays = len(set(data.get("holidays", []))), len(set(data.get("workdays", [])))
        years = sorted({d[:4] for d in [*data.get("holidays", []), *data.get("workdays", [])]})
        self.stdout.write(
            f"{path.name}: {n_holidays} holidays and {n_workdays} make-up workdays"
            f"{' for ' + ', '.join(years) if years else ''}; {created} new, {updated} changed, "
            f"{n_holidays + n_workdays - created - updated} already up to date"
        )
