"""The follow-up pages: worklist, task (call script), reviews, and the customer's survey page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from herdesk.followup import services as fs
from herdesk.followup.models import FollowUpReview, FollowUpTask

from .conftest import new_customer, resolved, task_of
from .test_services import _link_token

pytestmark = pytest.mark.django_db


def _recent(staff, customer, **kw):
    return task_of(
        resolved(staff, customer, at=timezone.now() - timedelta(hours=3), **kw), now=timezone.now()
    )


def test_worklist_mine_team_and_filters(client, staff, customer, django_assert_max_num_queries) -> None:
    mine = _recent(staff, customer)
    other = _recent(staff, new_customer(), agent="agent2")
    client.force_login(staff["agent1"])
    with django_assert_max_num_queries(25):
        r = client.get("/followup/", HTTP_ACCEPT_LANGUAGE="en")
    html = r.content.decode()
    assert r.status_code == 200 and mine.ticket.number in html and other.ticket.number not in html
    r = client.get("/followup/?scope=team")
    assert mine.ticket.number in r.content.decode() and other.ticket.number in r.content.decode()
    r = client.get("/followup/?scope=all")  # not for an agent: back to "mine"
    assert other.ticket.number not in r.content.decode()
    assert client.get("/followup/?state=completed").content.decode().count('class="followup-row"') == 0
    assert client.get("/followup/?due=bogus&state=bogus&team=x").status_code == 200
    assert 'data-count="1"' in client.get("/followup/count/").content.decode()
    client.force_login(staff["cs_lead"])
    r = client.get(f"/followup/?scope=all&agent={staff['agent2'].pk}")
    assert other.ticket.number in r.content.decode() and mine.ticket.number not in r.content.decode()


def test_worklist_query_count_does_not_grow(client, staff) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff["agent1"])
    _recent(staff, new_customer())
    client.get("/followup/")  # warm-up (per-process caches)
    with CaptureQueriesContext(connection) as few:
        client.get("/followup/")
    for _ in range(4):
        _recent(staff, new_customer())
    with CaptureQueriesContext(connection) as more:
        client.get("/followup/")
    assert len(more) == len(few)


def test_task_page_call_script(client, staff, customer) -> None:
    task = _recent(staff, customer)
    client.force_login(staff["agent1"])
    r = client.get(f"/followup/tasks/{task.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and "call-form" in r.content.decode()
    r = client.post(f"/followup/tasks/{task.pk}/call/", {"outcome": "answered"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422 and "score from 1 to 5" in r.content.decode()
    r = client.post(
        f"/followup/tasks/{task.pk}/call/",
        {"outcome": "answered", "fully_solved": "no", "score": "2", "other_needs": "需要配件"},
    )
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.state == "completed"
    review = FollowUpReview.objects.get(task=task)
    client.force_login(staff["agent2"])  # another agent of the team sees the task, not the review
    assert client.get(f"/followup/tasks/{task.pk}/").status_code == 200
    assert client.get(f"/followup/reviews/{review.pk}/").status_code == 404
    client.force_login(staff["tech2"])  # another team: not found
    assert client.get(f"/followup/tasks/{task.pk}/").status_code == 404


def test_unreachable_and_survey_buttons(client, staff, customer) -> None:
    task = _recent(staff, customer)
    client.force_login(staff["agent1"])
    r = client.post(f"/followup/tasks/{task.pk}/unreachable/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 409 and "at least once" in r.content.decode()
    assert client.post(f"/followup/tasks/{task.pk}/survey/").status_code == 302
    assert FollowUpTask.objects.get(pk=task.pk).state == "survey_sent"
    assert client.post(f"/followup/tasks/{task.pk}/unreachable/").status_code == 302
    assert FollowUpTask.objects.get(pk=task.pk).state == "unreachable"


def test_review_pages_decide_and_close(client, staff, customer) -> None:
    task = _recent(staff, customer)
    fs.call_record(task=task, actor=staff["agent1"], outcome="answered", fully_solved=True, score=1)
    review = FollowUpReview.objects.get(task=task)
    client.force_login(staff["agent1"])  # the agent may read it, not decide it
    r = client.post(f"/followup/reviews/{review.pk}/decide/", {"findings": "x", "action_1": "y"})
    assert r.status_code == 422
    client.force_login(staff["cs_lead"])
    assert review.ticket.number in client.get("/followup/reviews/").content.decode()
    r = client.post(
        f"/followup/reviews/{review.pk}/decide/", {"findings": "", "action_1": ""}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 422
    r = client.post(
        f"/followup/reviews/{review.pk}/decide/", {"findings": "话术生硬", "action_1": "话术培训"}
    )
    assert r.status_code == 302
    r = client.post(f"/followup/reviews/{review.pk}/close/", {"closure_note": "已培训"})
    assert r.status_code == 302
    review.refresh_from_db()
    assert review.state == "closed"
    assert "已培训" in client.get(f"/followup/reviews/{review.pk}/").content.decode()


def test_survey_page_small_bilingual_single_use(client, staff, customer) -> None:
    task = _recent(staff, customer)
    fs.survey_send(task=task, actor=staff["agent1"])
    url = f"/followup/s/{_link_token(task)}/"
    r = client.get(url)
    html = r.content.decode()
    assert r.status_code == 200 and "满意" in html
    assert len(r.content) < 100_000 and "<script" not in html and "<link" not in html  # the whole page weight
    assert "How did we do?" in client.get(url + "?lang=en").content.decode()
    r = client.post(url, {"score": "", "fully_solved": "yes"})
    assert r.status_code == 422
    r = client.post(url + "?lang=en", {"score": "4", "fully_solved": "yes", "comment": "很好"})
    assert r.status_code == 200 and "Thank you" in r.content.decode()
    task.refresh_from_db()
    assert task.state == "completed" and task.follow_up.comments == "很好"
    r = client.get(url + "?lang=en")
    assert r.status_code == 410 and "already been answered" in r.content.decode()
    r = client.get(url[:-3] + "xx/?lang=en")
    assert r.status_code == 400 and "not valid" in r.content.decode()
    assert client.get("/followup/s/garbage/").status_code == 400
