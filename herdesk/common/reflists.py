"""Reference lists (teams, staff, products, categories) kept in each process between requests.

Why: every queue page offers them as filter and reassignment choices; at 1,000,000 tickets with the
benchmark's ~250 members of staff, reading and labelling them cost 4 queries and several ms of a page
whose budget is 50 ms (issue 4). They change a few times a month.

Freshness: a change to one of the models (the app that owns the list connects `reference_changed`
to its save and delete signals) bumps a version in the shared cache, and every process compares that
version before using its copy. With a cache shared by the processes (Redis, see docs/operations.md)
every process sees the change at its next request; with a per-process cache (the embedded default)
other processes see it within LOCAL_SECONDS. A choice list is never an authority: a submitted value
is checked against the database by the form (ModelChoiceField's queryset), so a stale list can only
offer a name for a moment too long or too short, never let a value through.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

T = TypeVar("T")

VERSION_KEY = "herdesk:reflists:version"
LOCAL_SECONDS = 60.0

# (list name, language) -> (version, monotonic expiry, value)
_memo: dict[tuple[str, str], tuple[str, float, Any]] = {}


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY) or ""
    return str(version)


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    _memo.clear()


def reference_changed(**kwargs: Any) -> None:
    """Signal receiver: a row behind a reference list changed. Bumped at once (this process and a
    test in a transaction see it) and again after the commit (a process that re-read the list
    between the two saw the old rows under the new version)."""
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"last_login"}:
        return  # a sign-in, not a change of the lists
    _bump()
    transaction.on_commit(_bump, robust=True)


def cached_list(name: str, read: Callable[[], T]) -> T:
    """`read()`'s result for the current language, from this process's copy while it is current."""
    key = (name, get_language() or "")
    version = _version()
    now = time.monotonic()
    hit = _memo.get(key)
    if hit is not None and hit[0] == version and hit[1] > now:
        return hit[2]  # type: ignore[no-any-return]
    value = read()
    _memo[key] = (version, now + LOCAL_SECONDS, value)
    return value


def clear() -> None:
    """Forget every copy (tests: a rolled-back database sends no signals)."""
    _memo.clear()
    cache.delete(VERSION_KEY)
