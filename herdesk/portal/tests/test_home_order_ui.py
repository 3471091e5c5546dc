"""My requests (issue 13): newest first by when received, with a status filter, paged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_newest_first_and_filtered_by_status(portal_client, submit, agent_flow) -> None:
    old, new = submit(), submit()
    # The older request was received later than it was created (e.g. entered after the call).
    Ticket.objects.filter(pk=old.pk).update(received_at=timezone.now() + timedelta(minutes=5))
    html = portal_client.get("/portal/").content.decode()
    assert html.index(old.number) < html.index(new.number)
    agent_flow.resolve(agent_flow.offer(new))
    resolved = portal_client.get("/portal/", {"status": "resolved"}).content.decode()
    assert new.number in resolved and old.number not in resolved
    assert 'id="status-filters"' in resolved
    assert portal_client.get("/portal/", {"status": "nonsense"}).status_code == 200


def test_paging_keeps_the_order(portal_client, submit, monkeypatch) -> None:
    from herdesk.portal import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    numbers = [submit().number for _ in range(3)]
    first = portal_client.get("/portal/").content.decode()
    assert numbers[2] in first and numbers[1] in first and numbers[0] not in first
    import re

    nxt = re.search(r'href="\?before=([^"&]+)', first).group(1)
    from urllib.parse import unquote

    second = portal_client.get("/portal/", {"before": unquote(nxt)}).content.decode()
    assert numbers[0] in second and numbers[2] not in second
