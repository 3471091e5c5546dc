"""Shared fixtures. PostgreSQL-only tests skip with a visible reason unless HERDESK_REQUIRE_SERVICES=1.

Reference data (teams, roles, catalogue, categories, calendars, the seed-000 policy in force) is
loaded ONCE per test session — per xdist worker — right after the test database is migrated; each
test then runs inside pytest-django's per-test transaction, which rolls back whatever the test
changed. Seeding it for every test cost 0.5–0.9 s a test. A transactional test (transaction=True,
transactional_db, live_server) ends with Django's flush, which empties every table: the teardown
hook below loads the reference data again after it, so the next test finds it in place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    required = os.environ.get("HERDESK_REQUIRE_SERVICES") == "1"
    on_pg = "postgres" in os.environ.get("DATABASE_URL", "")
    for item in items:
        if "postgres" in item.keywords and not on_pg:
            if required and not os.environ.get("DATABASE_URL"):
                # The SQLite pass of `make test`: the PostgreSQL pass runs these.
                item.add_marker(
                    pytest.mark.skip(reason="runs in the PostgreSQL pass (DATABASE_URL=postgres://…)")
                )
            else:
                item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…"))


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> None:
    """Per-process caches keyed by primary keys must not outlive a rolled-back test database."""
    from herdesk.calendars.selectors import cache_clear
    from herdesk.clocks.services import definitions_cache_clear
    from herdesk.common import reflists
    from herdesk.common.crypto import key_cache
    from herdesk.kb.suggest import corpus_clear

    key_cache.clear()  # subject keys by id: a flushed database reuses the ids for other keys
    corpus_clear()
    definitions_cache_clear()
    reflists.clear()
    cache_clear()


def _reference_load() -> None:
    from herdesk.calendars.selectors import cache_clear
    from herdesk.clocks.services import definitions_cache_clear
    from herdesk.common import reflists
    from herdesk.demo.services import reference_data_ensure

    reference_data_ensure()
    definitions_cache_clear()
    reflists.clear()
    cache_clear()


def _reference_present() -> bool:
    """One cheap query: the policy in force is the last thing reference_data_ensure writes."""
    from herdesk.policies.models import ServicePolicy

    return ServicePolicy.objects.filter(code="seed-000", is_active=True).exists()


def _is_transactional(item: pytest.Item) -> bool:
    """Does this test end with a flush? (pytest-django's own rule, see its collection ordering.)"""
    from django.test import TestCase, TransactionTestCase

    cls = getattr(item, "cls", None)
    if cls is not None and issubclass(cls, TransactionTestCase):
        return not issubclass(cls, TestCase)
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The migrated test database plus the reference data, once per session (per xdist worker)."""
    with django_db_blocker.unblock():
        _reference_load()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield  # the test's fixtures are torn down here: a transactional test has flushed the tables
    if nextitem is None or not _is_transactional(item):
        return
    from pytest_django.plugin import blocking_manager_key

    blocker = item.config.stash.get(blocking_manager_key, None)
    if blocker is None:
        return
    with blocker.unblock():
        _reference_load()


@pytest.fixture
def reference(db):
    """Teams, roles, catalogue, categories, calendars and the seed-000 policy in force.

    Loaded once per session (django_db_setup above); this only checks it is there (a test run with
    --reuse-db against an emptied database, say) and loads it if not."""
    if not _reference_present():
        _reference_load()


@pytest.fixture
def staff(reference):
    from herdesk.demo.services import _staff

    return _staff()


@pytest.fixture
def customer(reference):
    from herdesk.customers.services import customer_create, organisation_create

    org = organisation_create(name="绿源牧场", region="内蒙古 呼和浩特", tier="key_account")
    return customer_create(
        name="张三",
        organisation=org,
        phone="13812348000",
        email="zhang@example.cn",
        address="呼和浩特市赛罕区草原路 88 号",
    )


@pytest.fixture
def other_customer(reference):
    from herdesk.customers.services import customer_create, organisation_create

    org = organisation_create(name="丰泽乳业经销部", region="河北 石家庄")
    return customer_create(name="李四", organisation=org, phone="13900001111")


@pytest.fixture
def api(staff):
    """A test client speaking to the API with agent1's token."""
    from django.test import Client

    from herdesk.staff.services import token_create

    def make(username: str = "agent1") -> Client:
        from herdesk.staff.models import User

        _t, secret = token_create(user=User.objects.get(username=username))
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")

    return make


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
