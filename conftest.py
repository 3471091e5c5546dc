"""Shared fixtures. PostgreSQL-only tests skip with a visible reason unless HERDESK_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os

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

    definitions_cache_clear()
    reflists.clear()
    cache_clear()


@pytest.fixture
def reference(db):
    """Teams, roles, catalogue, categories, calendars and the seed-000 policy in force."""
    from herdesk.demo.services import reference_data_ensure

    reference_data_ensure()


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
