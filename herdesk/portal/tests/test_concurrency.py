"""Row locks make single use and attempt counting hold under concurrency (PostgreSQL only: SQLite
serialises writers anyway)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from herdesk.notifications.models import OutboxMessage
from herdesk.portal import services as ps
from herdesk.portal.errors import LinkError
from herdesk.portal.models import LoginCode

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(fn: Callable[[], Any], n: int = 4) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_a_sign_in_link_clicked_four_times_at_once_signs_in_once(customer) -> None:
    ps.login_link_request(email="zhang@example.cn")
    token = (
        OutboxMessage.objects.get(template="portal_login_link").payload["url"].rstrip("/").rsplit("/", 1)[-1]
    )
    results = _race(lambda: ps.login_link_consume(token=token))
    ok = [r for r in results if isinstance(r, ps.SignIn)]
    refused = [r for r in results if isinstance(r, LinkError)]
    assert len(ok) == 1 and len(refused) == 3 and all(r.code == "link_used" for r in refused)


def test_parallel_wrong_codes_are_all_counted(customer) -> None:
    row = ps.login_code_request(phone="13812348000")
    results = _race(lambda: ps.login_code_verify(phone="13812348000", code="000000"), n=4)
    assert all(isinstance(r, ps.SignIn) and not r.ok for r in results)
    assert LoginCode.objects.get(pk=row.pk).attempts == 4  # every guess counted, none lost
