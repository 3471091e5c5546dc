"""Knowledge-base test helpers: the workspace's logged-in clients and tickets, plus the demo KB."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.workspace.tests.conftest import (  # noqa: F401 - fixtures shared with the workspace tests
    _compiled_messages,
    _service_hours,
    login,
    make_ticket,
    screenshot_dir,
)


@pytest.fixture
def kb(staff: dict[str, Any]) -> int:
    """Categories (tech1 reviews technical support), synonyms and the published demo articles."""
    from herdesk.kb.demo import kb_demo_ensure

    return kb_demo_ensure(staff)
