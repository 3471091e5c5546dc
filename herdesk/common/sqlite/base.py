"""Django's SQLite backend, with the writers of one process queued on a lock (issue #20).

SQLite has one write lock per database. With `BEGIN IMMEDIATE` (settings) a second writer waits for
it in SQLite's busy handler, which *sleeps* between attempts (1, 2, 5, 10, 15, 20, 25, 25, 25, 50,
50, 100 ms …): a writer that arrives while a 5 ms transaction runs often wakes 10–25 ms later,
long after the lock was free. The web process serves HTTP from a pool of threads (config/asgi.py),
so several of its threads can be waiting at once and their waits add up in the tail.

Here the threads of one process take a lock before `BEGIN IMMEDIATE` and give it back at commit,
rollback or close: a waiting thread is woken the moment the previous transaction ends, in order.
Writers in *other* processes still meet SQLite's busy handler, as before. The lock is taken with a
timeout (the connection's busy timeout): past it, the transaction goes on to SQLite's own waiting,
so this can never hang where SQLite alone would have answered. In-memory databases (tests) share
no file lock, so they are left alone.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def writer_lock(name: str) -> threading.Lock:
    """The one lock of this process for the database file `name`."""
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock_held: threading.Lock | None = None

    def _writer_lock_acquire(self) -> None:
        if self._writer_lock_held is not None or self.is_in_memory_db():
            return
        lock = writer_lock(str(self.settings_dict["NAME"]))
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if lock.acquire(timeout=timeout):
            self._writer_lock_held = lock

    def _writer_lock_release(self) -> None:
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
