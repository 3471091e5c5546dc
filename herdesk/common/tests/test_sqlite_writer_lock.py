"""The SQLite backend's per-process writer lock (herdesk/common/sqlite/base.py, issue #20): taken
at BEGIN IMMEDIATE, given back at commit, rollback and close, never a reason to hang."""

from __future__ import annotations

import copy
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections, transaction

from herdesk.common.sqlite.base import DatabaseWrapper, writer_lock

ALIAS = "writer_lock_test"


def _wrapper(path: Path, timeout: float = 20) -> DatabaseWrapper:
    if connections["default"].vendor != "sqlite":
        pytest.skip("the SQLite backend (the embedded default)")
    cfg = copy.deepcopy(connections["default"].settings_dict)
    cfg["NAME"] = str(path)
    cfg["OPTIONS"] = {**settings.DATABASES["default"].get("OPTIONS", {}), "timeout": timeout}
    cfg["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    cfg["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=20000;")
    return DatabaseWrapper(cfg, alias=ALIAS)


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker: Any) -> Iterator[None]:
    """These tests open database files of their own, outside the test database."""
    with django_db_blocker.unblock():
        yield
    if hasattr(connections._connections, ALIAS):
        delattr(connections._connections, ALIAS)


@pytest.fixture
def db_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "gate.sqlite3"
    w = _wrapper(path)
    with w.cursor() as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    w.close()
    yield path


def _use(w: DatabaseWrapper) -> None:
    connections[ALIAS] = w  # this thread's connection for the alias


def test_the_backend_is_the_configured_default():
    engine = settings.DATABASES["default"]["ENGINE"]
    assert engine in ("herdesk.common.sqlite", "django.db.backends.postgresql")


def test_held_for_the_transaction_and_given_back_at_commit(db_file):
    w = _wrapper(db_file)
    _use(w)
    lock = writer_lock(str(db_file))
    with transaction.atomic(using=ALIAS):
        w.cursor().execute("INSERT INTO t (who) VALUES ('a')")
        assert lock.locked()
    assert not lock.locked()
    assert w.cursor().execute("SELECT count(*) FROM t").fetchone()[0] == 1
    w.close()


def test_given_back_at_rollback(db_file):
    w = _wrapper(db_file)
    _use(w)
    lock = writer_lock(str(db_file))
    with pytest.raises(RuntimeError), transaction.atomic(using=ALIAS):
        w.cursor().execute("INSERT INTO t (who) VALUES ('a')")
        raise RuntimeError("boom")
    assert not lock.locked()
    assert w.cursor().execute("SELECT count(*) FROM t").fetchone()[0] == 0
    w.close()


def test_given_back_when_the_connection_closes_mid_transaction(db_file):
    w = _wrapper(db_file)
    _use(w)
    w.set_autocommit(True)
    w._start_transaction_under_autocommit()
    assert writer_lock(str(db_file)).locked()
    w.close()
    assert not writer_lock(str(db_file)).locked()


def test_a_second_thread_waits_and_runs_when_the_first_commits(db_file):
    order: list[str] = []
    first_in = threading.Event()

    def writer(name: str, hold: float) -> None:
        w = _wrapper(db_file)
        _use(w)
        try:
            with transaction.atomic(using=ALIAS):
                order.append(f"{name} begin")
                first_in.set()
                w.cursor().execute("INSERT INTO t (who) VALUES (%s)", [name])
                time.sleep(hold)
                order.append(f"{name} commit")
        finally:
            w.close()

    a = threading.Thread(target=writer, args=("a", 0.3))
    a.start()
    assert first_in.wait(10)
    b = threading.Thread(target=writer, args=("b", 0))
    b.start()
    a.join(20)
    b.join(20)
    assert order == ["a begin", "a commit", "b begin", "b commit"]


def test_past_its_timeout_the_transaction_goes_on_to_sqlites_own_waiting(db_file):
    """The lock held elsewhere (a stuck thread, say) never blocks longer than the timeout."""
    lock = writer_lock(str(db_file))
    lock.acquire()
    try:
        w = _wrapper(db_file, timeout=0.2)
        _use(w)
        t0 = time.monotonic()
        with transaction.atomic(using=ALIAS):
            w.cursor().execute("INSERT INTO t (who) VALUES ('late')")
        assert time.monotonic() - t0 >= 0.2
        assert w._writer_lock_held is None
        w.close()
    finally:
        lock.release()


def test_in_memory_databases_are_left_alone():
    if connections["default"].vendor != "sqlite":
        pytest.skip("the SQLite backend")
    w = DatabaseWrapper(
        {**copy.deepcopy(connections["default"].settings_dict), "NAME": ":memory:"}, alias=ALIAS
    )
    _use(w)
    with transaction.atomic(using=ALIAS):
        w.cursor().execute("SELECT 1")
        assert w._writer_lock_held is None
    w.close()


def _other_process_holds(db_file: Path) -> int:
    """The advisory lock taken through a descriptor of its own, as another process would."""
    fd = os.open(f"{db_file}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_writer_of_another_process_is_waited_for_then_let_in(db_file):
    fd = _other_process_holds(db_file)
    began = threading.Event()

    def writer() -> None:
        w = _wrapper(db_file)
        _use(w)
        try:
            with transaction.atomic(using=ALIAS):
                began.set()
                w.cursor().execute("INSERT INTO t (who) VALUES ('b')")
        finally:
            w.close()

    t = threading.Thread(target=writer)
    t.start()
    assert not began.wait(0.3), "began while the other process held the lock"
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    assert began.wait(5)
    t.join(10)


def test_the_file_lock_is_given_back_at_commit(db_file):
    w = _wrapper(db_file)
    _use(w)
    with transaction.atomic(using=ALIAS):
        w.cursor().execute("INSERT INTO t (who) VALUES ('a')")
        probe = os.open(f"{db_file}-writer.lock", os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    os.close(probe)
    w.close()


def test_past_its_timeout_another_process_lock_does_not_block(db_file):
    fd = _other_process_holds(db_file)
    try:
        w = _wrapper(db_file, timeout=0.2)
        _use(w)
        with transaction.atomic(using=ALIAS):
            w.cursor().execute("INSERT INTO t (who) VALUES ('late')")
        assert w._writer_file_held is None and w._writer_lock_held is None
        w.close()
    finally:
        os.close(fd)
