"""`herdesk serve` on SQLite with several workers gives each worker one HTTP thread
(HERDESK_HTTP_THREADS=1, measured faster: issue #20) unless the operator set the number; one
worker, or PostgreSQL, keeps the settings' default. uvicorn itself is not started."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from herdesk.ops import metrics

VAR = "HERDESK_HTTP_THREADS"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Any) -> list[dict[str, Any]]:
    """uvicorn.run replaced by a recorder (its keyword arguments and the environment it would
    hand its workers); the thread variable and the metrics directory restored after the test."""
    import uvicorn

    calls: list[dict[str, Any]] = []

    def run(app: str, **kwargs: Any) -> None:
        calls.append({"app": app, **kwargs, "threads": os.environ.get(VAR)})

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.delenv(VAR, raising=False)
    # several workers prepare prometheus' multiprocess directory: here, not under var/
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path / "prometheus"))
    settings.VAR_DIR = tmp_path
    settings.HERDESK_EMBEDDED_SCHEDULER = False
    return calls


@pytest.fixture
def on_sqlite(settings: Any) -> None:
    """The database counts as SQLite on either test pass (the command compares the configured
    engine with settings.SQLITE_ENGINE)."""
    settings.SQLITE_ENGINE = settings.DATABASES["default"]["ENGINE"]


@pytest.mark.usefixtures("on_sqlite")
def test_sqlite_with_two_workers_serves_one_thread_each(served: list[dict[str, Any]], tmp_path: Path) -> None:
    call_command("serve", "--workers", "2", "--no-scheduler")
    assert os.environ.get(VAR) == "1"
    assert len(served) == 1 and served[0]["workers"] == 2 and served[0]["threads"] == "1"
    assert served[0]["app"] == "config.asgi:application"
    assert (tmp_path / "prometheus").is_dir()  # the metrics directory was prepared here, not in var/


@pytest.mark.usefixtures("on_sqlite")
def test_an_explicit_thread_count_is_kept(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VAR, "3")
    call_command("serve", "--workers", "2", "--no-scheduler")
    assert os.environ.get(VAR) == "3"
    assert served[0]["workers"] == 2 and served[0]["threads"] == "3"


@pytest.mark.usefixtures("on_sqlite")
def test_one_worker_leaves_it_unset(served: list[dict[str, Any]]) -> None:
    call_command("serve", "--workers", "1", "--no-scheduler")
    assert VAR not in os.environ
    assert served[0]["workers"] == 1 and served[0]["threads"] is None


def test_another_database_with_two_workers_leaves_it_unset(
    served: list[dict[str, Any]], settings: Any
) -> None:
    settings.SQLITE_ENGINE = "not.the.configured.engine"  # PostgreSQL, say, on either test pass
    call_command("serve", "--workers", "2", "--no-scheduler")
    assert VAR not in os.environ
    assert served[0]["workers"] == 2 and served[0]["threads"] is None
