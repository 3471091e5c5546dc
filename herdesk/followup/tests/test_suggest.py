"""QA-2: the public suggestion box (anonymous allowed) makes suggestion tickets routed as usual."""

from __future__ import annotations

import pytest

from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_anonymous_and_named_suggestions_become_tickets(client, reference) -> None:
    r = client.get("/followup/suggest/")
    assert r.status_code == 200 and "<script" not in r.content.decode()
    r = client.post("/followup/suggest/", {"text": "", "anonymous": "on"}, REMOTE_ADDR="10.0.0.1")
    assert r.status_code == 422
    r = client.post(
        "/followup/suggest/",
        {"text": "希望热线晚上也能接通\n谢谢", "anonymous": "on"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert r.status_code == 200
    t = Ticket.objects.get(problem_type="suggestion")
    assert t.channel == "portal" and t.description.startswith("希望热线") and t.customer.name == "匿名建议人"
    assert t.team is not None  # the intake team's queue, like every new ticket
    assert t.number in r.content.decode()
    r = client.post(
        "/followup/suggest/?lang=en", {"text": "x"}, REMOTE_ADDR="10.0.0.1"
    )  # not anonymous: who?
    assert r.status_code == 422 and "anonymously" in r.content.decode()
    r = client.post(
        "/followup/suggest/",
        {"text": "包装可以更环保", "name": "赵六", "phone": "13900002222"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert r.status_code == 200
    assert Ticket.objects.filter(problem_type="suggestion", customer__name="赵六").count() == 1


def test_suggestions_are_rate_limited(client, reference) -> None:
    for i in range(5):
        r = client.post(
            "/followup/suggest/", {"text": f"建议 {i}", "anonymous": "on"}, REMOTE_ADDR="10.9.9.9"
        )
        assert r.status_code == 200
    r = client.post("/followup/suggest/", {"text": "再一条", "anonymous": "on"}, REMOTE_ADDR="10.9.9.9")
    assert r.status_code == 429
    assert Ticket.objects.filter(problem_type="suggestion").count() == 5
