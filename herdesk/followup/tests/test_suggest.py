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


def test_named_suggestion_matches_the_known_customer(client, customer) -> None:
    """A named suggestion from a known phone number or email lands on that customer (their
    history), not on a new duplicate; an unknown one makes a new customer."""
    from herdesk.customers.models import Customer

    before = Customer.objects.count()
    r = client.post(
        "/followup/suggest/",
        {"text": "希望增加周末送货", "name": "张三", "phone": "138 1234 8000"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert r.status_code == 200
    r = client.post(
        "/followup/suggest/",
        {"text": "发票可以电子版吗", "name": "张先生", "email": "ZHANG@example.cn"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert r.status_code == 200
    assert Ticket.objects.filter(problem_type="suggestion", customer=customer).count() == 2
    assert Customer.objects.count() == before
    r = client.post(
        "/followup/suggest/",
        {"text": "新客户的建议", "name": "孙七", "phone": "13700001111"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert r.status_code == 200 and Customer.objects.count() == before + 1


def test_suggestions_are_rate_limited(client, reference) -> None:
    for i in range(5):
        r = client.post(
            "/followup/suggest/", {"text": f"建议 {i}", "anonymous": "on"}, REMOTE_ADDR="10.9.9.9"
        )
        assert r.status_code == 200
    r = client.post("/followup/suggest/", {"text": "再一条", "anonymous": "on"}, REMOTE_ADDR="10.9.9.9")
    assert r.status_code == 429
    assert Ticket.objects.filter(problem_type="suggestion").count() == 5


def test_rating_after_service_on_the_portal(client, staff, customer) -> None:
    from herdesk.followup.models import FollowUpReview, FollowUpTask
    from herdesk.portal.services import portal_user_for

    from .conftest import resolved

    t = resolved(staff, customer)
    client.force_login(portal_user_for(customer=customer))
    page = client.get(f"/portal/tickets/{t.number}/").content.decode()
    assert 'id="rate-form"' in page
    assert client.get(f"/followup/ticket/{t.number}/rate/").status_code == 405
    r = client.post(
        f"/followup/ticket/{t.number}/rate/", {"score": "2", "fully_solved": "yes", "comment": "太慢"}
    )
    assert r.status_code == 302 and r["Location"] == f"/portal/tickets/{t.number}/"
    task = FollowUpTask.objects.get(ticket=t)  # made at once, before the job ran
    assert task.state == "completed" and task.follow_up.score == 2 and task.follow_up.comments == "太慢"
    assert FollowUpReview.objects.filter(task=task).exists()  # score 2: the review opens
    assert 'id="rate-form"' not in client.get(f"/portal/tickets/{t.number}/").content.decode()
    r = client.post(f"/followup/ticket/{t.number}/rate/", {"score": "5", "fully_solved": "yes"})
    assert r.status_code == 302 and t.follow_ups.count() == 1  # rated once
    client.force_login(staff["agent1"])  # staff do not rate
    assert (
        client.post(f"/followup/ticket/{t.number}/rate/", {"score": "5", "fully_solved": "yes"}).status_code
        == 403
    )
