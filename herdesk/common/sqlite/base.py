"""Django's SQLite backend, with writers queued in order instead of in SQLite's sleeping busy handler
(issue #20).

SQLite has one write lock per database. With `BEGIN IMMEDIATE` (settings) a second writer waits for
it in SQLite's busy handler, which *sleeps* between attempts (1, 2, 5, 10, 15, 20, 25, 25, 25, 50,
50, 100 ms …): a writer that arrives while a 5 ms transaction runs often wakes 10–25 ms later,
long after the lock was free, and under load those waits make the tail (measured with 4 clients:
p50 21 ms, p95 101 ms).

So before `BEGIN IMMEDIATE` a writer takes, and at commit, rollback or close gives back:

1. the process's lock for that database (a `threading.Lock`): the HTTP threads of one process
   (config/asgi.py) queue on it and are woken the moment the previous transaction ends;
2. an advisory file lock (`flock` on `<database>-writer.lock`) shared by every process on the
   machine, tried every half millisecond: a writer in another web worker is let in within 0.5 ms
   of the lock's release instead of after SQLite's next sleep.

Both are taken with a deadline (the connection's timeout): past it the transaction goes on to
SQLite's own waiting, so this can never hang where SQLite alone would have answered, and SQLite's
lock still decides who writes (the advisory lock only orders the queue). In-memory databases (the
tests' default) are left alone.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

POLL_SECONDS = 0.0005

_locks: dict[str, threading.Lock] = {}
_files: dict[tuple[int, str], int] = {}  # (pid, database) → the lock file's descriptor
_guard = threading.Lock()


def writer_lock(name: str) -> threading.Lock:
    """The one lock of this process for the database file `name`."""
    with _guard:
        return _locks.setdefault(name, threading.Lock())


def _lock_file(name: str) -> int:
    """This process's descriptor of the database's lock file (per pid: a forked child must not
    share its parent's open file description, whose flock they would share)."""
    key = (os.getpid(), name)
    with _guard:
        fd = _files.get(key)
        if fd is None:
            fd = os.open(f"{name}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            _files[key] = fd
        return fd


def _flock_until(fd: int, deadline: float) -> bool:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock_held: threading.Lock | None = None
        self._writer_file_held: int | None = None

    def _writer_lock_acquire(self) -> None:
        if self._writer_lock_held is not None or self.is_in_memory_db():
            return
        name = str(self.settings_dict["NAME"])
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        lock = writer_lock(name)
        if not lock.acquire(timeout=timeout):
            return
        self._writer_lock_held = lock
        try:
            fd = _lock_file(name)
        except OSError:  # a read-only directory: order within the process only
            return
        if _flock_until(fd, deadline):
            self._writer_file_held = fd

    def _writer_lock_release(self) -> None:
        fd, self._writer_file_held = self._writer_file_held, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        lock, self._writer_lock_held = self._writer_lock_held, None
        if lock is not None:
            lock.release()

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private: not in the stubs
        except BaseException:
            self._writer_lock_release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._writer_lock_release()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._writer_lock_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._writer_lock_release()
