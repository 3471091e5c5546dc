from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _always_open(settings):
    """Chat tests run at any hour: staffed around the clock unless a test says otherwise."""
    settings.HERDESK_CHAT_CALENDAR = "24x7"
    settings.HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS = 120
    from django.core.cache import cache

    cache.clear()  # last sequence numbers are cached per conversation pk


@pytest.fixture
def agent(staff):
    return staff["agent1"]


@pytest.fixture
def agent2(staff):
    return staff["agent2"]
