"""`herdesk calendar ...` (CAL-2 from the shell): in-process via call_command, and for real in a
subprocess against a freshly migrated SQLite database (which also proves the data migration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from herdesk.calendars.models import Holiday

ROOT = Path(settings.BASE_DIR)


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.usefixtures("builtin_data")
class TestInProcess:
    def test_add(self) -> None:
        assert run("add", "office", "2026-09-30T17:30:00+08:00", "2h") == "2026-10-08T10:30:00+08:00\n"
        assert run("add", "office", "2026-09-30T09:30:00Z", "2h") == "2026-10-08T10:30:00+08:00\n"
        assert run("add", "office", "2026-09-18T15:00:00+08:00", "5wd") == "2026-09-24T18:00:00+08:00\n"
        assert run("add", "hotline", "2026-10-01T19:00:00+08:00", "2h") == "2026-10-02T09:00:00+08:00\n"
        assert run("add", "24x7", "2026-10-01T23:30:00+08:00", "1h") == "2026-10-02T00:30:00+08:00\n"

    def test_elapsed(self) -> None:
        assert run("elapsed", "office", "2026-09-30T15:00:00+08:00", "2026-10-08T10:30:00+08:00") == "16200\n"
        assert run("elapsed", "office", "2026-10-08T10:30:00+08:00", "2026-09-30T15:00:00+08:00") == "0\n"

    def test_import_holidays(self, tmp_path: Path) -> None:
        path = tmp_path / "cn_2027.json"
        path.write_text(json.dumps({"holidays": ["2027-01-01"], "workdays": ["2027-01-03"]}))
        first = run("import-holidays", str(path))
        assert "1 holidays and 1 make-up workdays for 2027" in first and "2 new" in first
        assert "0 new, 0 changed, 2 already up to date" in run("import-holidays", str(path))
        assert Holiday.objects.get(date="2027-01-01").source == "cn_2027.json"
        assert run("add", "office", "2026-12-31T17:00:00+08:00", "2h") == "2027-01-03T10:00:00+08:00\n"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("add", "nope", "2026-09-30T17:30:00+08:00", "2h"), "unknown calendar 'nope'"),
            (("add", "office", "2026-09-30T17:30:00", "2h"), "no UTC offset"),
            (("add", "office", "30/09/2026 17:30", "2h"), "not an ISO 8601 instant"),
            (("add", "office", "2026-09-30T17:30:00+08:00", "2x"), "invalid duration"),
            (("add", "office", "2026-09-30T17:30:00+08:00", "-2h"), "negative"),
            (("add", "office", "2026-09-30T17:30:00+08:00", "1d"), "invalid duration"),
            (("elapsed", "office", "2026-09-30T17:30:00+08:00", "tomorrow"), "END"),
            (("import-holidays", "/nonexistent/cn.json"), "cannot read"),
        ],
    )
    def test_bad_input_exits_2(self, args: tuple[str, ...], message: str) -> None:
        with pytest.raises(CommandError, match=message) as info:
            run(*args)
        assert info.value.returncode == 2

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ('{"holidays": ', "not valid JSON"),
            ('{"holidays": ["2027-13-01"]}', "not a date"),
            ('{"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}', "both"),
            ('["2027-01-01"]', "JSON object"),
        ],
    )
    def test_bad_holiday_file_exits_2(self, tmp_path: Path, content: str, message: str) -> None:
        path = tmp_path / "bad.json"
        path.write_text(content)
        with pytest.raises(CommandError, match=message) as info:
            run("import-holidays", str(path))
        assert info.value.returncode == 2


@pytest.fixture(scope="module")
def fresh_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for a subprocess using a new SQLite file migrated from scratch."""
    tmp = tmp_path_factory.mktemp("calendar-cli")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "HERDESK_VAR_DIR": str(tmp / "var"),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "calendar", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_subprocess_add_on_fresh_database(fresh_db: dict[str, str]) -> None:
    done = cli(fresh_db, "add", "office", "2026-09-30T17:30:00+08:00", "2h")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2026-10-08T10:30:00+08:00\n"
    done = cli(fresh_db, "elapsed", "hotline", "2026-10-01T00:00:00+08:00", "2026-10-02T00:00:00+08:00")
    assert (done.returncode, done.stdout) == (0, "43200\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "nope", "2026-09-30T17:30:00+08:00", "2h"), "unknown calendar"),
        (("add", "office", "2026-09-30T17:30:00", "2h"), "no UTC offset"),
        (("add", "office", "2026-09-30T17:30:00+08:00", "-30m"), "negative"),
        (("add", "office", "2026-09-30T17:30:00+08:00", "soon"), "invalid duration"),
        (("add", "office"), "required"),
    ],
)
def test_subprocess_bad_input_exit_code_2(
    fresh_db: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    done = cli(fresh_db, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""
