"""What the customer reads (issue 13): the resolution once, and no third-person notes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_resolved_request_shows_its_resolution_once(portal_client, submit, agent_flow) -> None:
    t = submit()
    agent_flow.resolve(agent_flow.offer(t), summary="已更换密封圈，压力恢复正常")
    html = portal_client.get(f"/portal/tickets/{t.number}/").content.decode()
    assert html.count("已更换密封圈，压力恢复正常") == 1
    fragment = portal_client.get(f"/portal/tickets/{t.number}/timeline/").content.decode()
    assert "已更换密封圈，压力恢复正常" not in fragment  # it is in the "Is it solved?" card
