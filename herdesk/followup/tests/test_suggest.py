"""QA-2: the public suggestion box (anonymous allowed) makes suggestion tickets routed as usual."""

from __future__ import annotations

from datetime import timedelta

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


def test_rating_link_in_the_resolution_notice(client, staff, customer) -> None:
    """QA-2: the resolution notice sent to the customer carries a signed rating link (not on the
    staff timeline); answering it is the follow-up's answer; reuse, tampering and a reopened ticket
    get clear 410/400 pages."""
    import re

    from django.utils import timezone

    from herdesk.notifications.models import OutboxMessage

    from .conftest import resolved

    t = resolved(staff, customer, at=timezone.now() - timedelta(hours=3))
    msg = OutboxMessage.objects.filter(ticket=t, template="resolution").order_by("-pk").first()
    assert msg is not None
    urls = re.findall(r"https?://\S*/followup/r/[^\s/]+/|/followup/r/[^\s/]+/", msg.payload["text"])
    assert urls, msg.payload["text"]
    path = "/followup/r/" + urls[0].split("/followup/r/")[1]
    entry = t.interactions.get(pk=msg.payload["interaction"])
    assert "/followup/r/" not in entry.body  # a bearer secret stays off the staff timeline
    r = client.get(path)
    assert r.status_code == 200 and 'id="survey-form"' in r.content.decode()
    assert client.get(path[:-3] + "xx/").status_code == 400
    r = client.post(path, {"score": "", "fully_solved": "yes"})
    assert r.status_code == 422
    r = client.post(path, {"score": "5", "fully_solved": "yes", "comment": "很满意"})
    assert r.status_code == 200
    fu = t.follow_ups.get()
    assert fu.score == 5 and fu.fully_solved and fu.method == "link"
    assert t.interactions.filter(data__follow_up=fu.pk).exists()
    assert client.get(path).status_code == 410  # rated once


def test_rating_link_refused_after_reopen(client, staff, customer) -> None:
    from django.utils import timezone

    from herdesk.followup.services import rating_link_make
    from herdesk.tickets import services as ts

    from .conftest import resolved

    t = resolved(staff, customer, at=timezone.now() - timedelta(hours=3))
    path = rating_link_make(ticket=t, base_url="")
    ts.ticket_reopen(ticket=t, actor=staff["agent1"], reason="又坏了")
    r = client.get(path)
    assert r.status_code == 410 and "no longer open" in client.get(path + "?lang=en").content.decode()
