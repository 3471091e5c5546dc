"""The staff notification centre: every kind arrives through ONE service, in the bell (socket),
the list page and the API; each user sees and changes only their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client
from django.utils import timezone

from herdesk.notifications.models import Notification


def _ticket(staff, customer, *, ago_minutes: int = 0, assignee: str | None = "tech1"):
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    at = timezone.now() - timedelta(minutes=ago_minutes)
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="冷藏罐温度异常",
        received_at=at,
    )
    team = Team.objects.get(code="tech-support")
    t = ts.ticket_triage(ticket=t, actor=staff["agent1"], team=team, at=at)
    return ts.ticket_assign(
        ticket=t,
        actor=staff["agent1"],
        assignee=staff[assignee] if assignee else None,
        team=team,
        reason="按问题类型分派",
        at=at,
    )


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


@pytest.mark.django_db
def test_assignment_then_transfer_reach_the_new_assignee_not_the_actor(staff, customer) -> None:
    from herdesk.tickets import services as ts

    t = _ticket(staff, customer)
    assert _kinds(staff["tech1"]) == ["assignment"]
    assert _kinds(staff["agent1"]) == []  # the actor is not told of their own action
    ts.ticket_assign(ticket=t, actor=staff["tech1"], assignee=staff["tech2"], reason="需要现场")
    n = Notification.objects.get(user=staff["tech2"])
    assert n.kind == "transfer" and n.ticket_id == t.pk and n.data["reason"] == "需要现场"
    assert "transferred to you by" in n.text and t.number in n.text


@pytest.mark.django_db
def test_a_breach_found_by_the_sweep_reaches_the_assignee(staff, customer) -> None:
    from herdesk.clocks.services import clock_sweep
    from herdesk.notifications.services import outbox_dispatch

    t = _ticket(staff, customer, ago_minutes=120)
    clock_sweep()
    outbox_dispatch()
    kinds = _kinds(staff["tech1"])
    assert "clock_breach" in kinds
    n = Notification.objects.filter(user=staff["tech1"], kind="clock_breach").first()
    assert n.ticket_id == t.pk and n.data["ticket"] == t.number
    outbox_dispatch()  # exactly once
    assert _kinds(staff["tech1"]).count("clock_breach") == len([k for k in kinds if k == "clock_breach"])


@pytest.mark.django_db
def test_mention_dispute_low_score_and_approval_request(staff, customer) -> None:
    from herdesk.policies.models import PolicyVersion
    from herdesk.policies.services import version_draft_create, version_submit
    from herdesk.tickets import services as ts

    t = _ticket(staff, customer)
    ts.interaction_add(ticket=t, actor=staff["tech1"], body="请@tech2和 @cs_lead 看一下，@nobody 不存在")
    assert _kinds(staff["tech2"])[-1] == "mention" and _kinds(staff["cs_lead"])[-1] == "mention"
    ts.interaction_add(ticket=t, actor=staff["tech1"], body="客户邮箱 agent2@example.cn")  # not a mention
    assert "mention" not in _kinds(staff["agent2"])
    # A public reply naming someone is not a mention (only internal notes).
    ts.interaction_add(
        ticket=t, actor=staff["tech1"], body="@agent2 hi", kind="phone_call", direction="outbound"
    )
    assert "mention" not in _kinds(staff["agent2"])

    ts.ticket_acknowledge(ticket=t, actor=staff["tech1"])
    ts.ticket_start(ticket=t, actor=staff["tech1"])
    t = ts.ticket_resolve(ticket=t, actor=staff["tech1"], verification_method="customer_confirmation")
    from herdesk.portal.services import portal_resolution_dispute, portal_user_for

    portal_resolution_dispute(user=portal_user_for(customer=customer), ticket=t, reason="还是不制冷")
    assert _kinds(staff["tech1"])[-1] == "dispute"
    assert _kinds(staff["agent1"])[-1] == "dispute"  # first-contact owner (首问负责制)

    t = ts.ticket_resolve(ticket=t, actor=staff["tech1"], verification_method="customer_confirmation")
    ts.follow_up_record(ticket=t, actor=staff["agent1"], method="phone", fully_solved=False, score=2)
    from herdesk.notifications.services import outbox_dispatch

    outbox_dispatch()
    lead = t.team.lead
    assert lead is not None and "low_score" in _kinds(lead)

    base = PolicyVersion.objects.filter(status="approved").first()
    v = version_draft_create(policy=base.policy, clocks=[], actor=staff["cs_lead"])
    version_submit(version=v, actor=staff["cs_lead"])
    assert _kinds(staff["manager"])[-1] == "approval"
    assert "approval" not in _kinds(staff["agent1"])


@pytest.mark.django_db
def test_list_page_filters_marks_read_and_links_to_the_ticket(staff, customer) -> None:
    from herdesk.tickets import services as ts

    t = _ticket(staff, customer)
    ts.interaction_add(ticket=t, actor=staff["agent1"], body="@tech1 客户很着急")
    c = Client()
    c.force_login(staff["tech1"])
    page = c.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="hd-bell-count">2<' in html  # the bell in the header
    assert html.count('class="hd-notif ') == 2
    only = c.get("/notifications/?kind=mention").content.decode()
    assert only.count('class="hd-notif ') == 1 and "客户很着急" in only
    assert c.get("/notifications/?kind=nonsense").status_code == 400
    mention = Notification.objects.get(user=staff["tech1"], kind="mention")
    r = c.get(f"/notifications/{mention.pk}/open/")
    assert r.status_code == 302 and r["Location"] == f"/tickets/{t.number}/"
    mention.refresh_from_db()
    assert mention.read_at is not None
    # Another user's notification cannot be opened or marked.
    other = Client()
    other.force_login(staff["agent2"])
    assert other.get(f"/notifications/{mention.pk}/open/").status_code == 404
    assignment = Notification.objects.get(user=staff["tech1"], kind="assignment")
    other.post("/notifications/read/", {"id": assignment.pk})
    assignment.refresh_from_db()
    assert assignment.read_at is None
    assert c.post("/notifications/read/", {"all": "1"}).status_code == 302
    assert not Notification.objects.filter(user=staff["tech1"], read_at__isnull=True).exists()
    assert c.post("/notifications/read/", {}).status_code == 302  # nothing chosen: a message, no 500


@pytest.mark.django_db
def test_api_lists_and_marks_only_the_callers_notifications(staff, customer, api) -> None:
    from herdesk.tickets import services as ts

    t = _ticket(staff, customer)
    ts.interaction_add(ticket=t, actor=staff["agent1"], body="@tech1 @tech2 请处理")
    tech1 = api("tech1")
    r = tech1.get("/api/v1/notifications")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["unread"] == 2 and {i["kind"] for i in body["items"]} == {"assignment", "mention"}
    assert all(i["ticket"] == t.number for i in body["items"])
    assert tech1.get("/api/v1/notifications?kind=mention").json()["items"][0]["kind"] == "mention"
    bad = tech1.get("/api/v1/notifications?kind=nonsense")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    theirs = Notification.objects.get(user=staff["tech2"])
    mine = Notification.objects.get(user=staff["tech1"], kind="mention")
    r = tech1.post(
        "/api/v1/notifications/read", {"ids": [theirs.pk, mine.pk]}, content_type="application/json"
    )
    assert r.json() == {"marked": 1, "unread": 1}
    assert tech1.post("/api/v1/notifications/read-all").json() == {"marked": 1, "unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db(transaction=True)
def test_the_socket_gets_each_new_notification_and_the_count(staff, customer) -> None:
    from config.asgi import application
    from herdesk.chat.tests.wstest import WebsocketCommunicator

    c = Client()
    c.force_login(staff["tech1"])
    cookie = (b"cookie", f"sessionid={c.cookies['sessionid'].value}".encode())

    async def scenario() -> None:
        ws = WebsocketCommunicator(
            application, "/ws/notifications/?lang=en", headers=[(b"origin", b"http://testserver"), cookie]
        )
        assert (await ws.connect())[0]
        assert (await ws.receive_json_from())["type"] == "ready"
        t = await sync_to_async(_ticket)(staff, customer)
        frame = await ws.receive_json_from(timeout=3)
        assert frame["type"] == "notification" and frame["unread"] == 1
        assert frame["notification"]["kind"] == "assignment" and t.number in frame["notification"]["text"]
        from herdesk.notifications.staff_notices import notifications_mark_read

        await sync_to_async(notifications_mark_read)(user=staff["tech1"])
        assert await ws.receive_json_from(timeout=3) == {"type": "count", "unread": 0}
        await ws.disconnect()
        anon = WebsocketCommunicator(
            application, "/ws/notifications/", headers=[(b"origin", b"http://testserver")]
        )
        connected, code = await anon.connect()
        assert not connected and code == 4403

    async_to_sync(scenario)()


@pytest.mark.django_db
def test_the_daily_digest_mails_unread_notifications_to_those_who_asked(staff, customer, mailoutbox) -> None:
    from herdesk.notifications.staff_notices import notification_digest_send
    from herdesk.ops.jobs import run_periodic_tasks

    tech1 = staff["tech1"]
    tech1.email = "tech1@herdesk.example.cn"
    tech1.save()
    t = _ticket(staff, customer)  # tech1: an assignment; tech2 has the digest off
    c = Client()
    c.force_login(tech1)
    assert c.post("/notifications/settings/", {"email_digest": "1"}).status_code == 302
    run_periodic_tasks()  # the embedded scheduler: digest queued and the outbox sends it
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["tech1@herdesk.example.cn"] and t.number in mail.body and "分派" in mail.body
    assert mail.extra_headers.get("Auto-Submitted") == "auto-generated"
    # At most once a day; the next one lists only what arrived since.
    assert notification_digest_send() == 0
    later = timezone.now() + timedelta(hours=25)
    assert notification_digest_send(now=later) == 0  # nothing new since the last digest
    c.post("/notifications/settings/", {})  # switched off
    from herdesk.notifications.models import NotificationSetting

    assert NotificationSetting.objects.get(user=tech1).email_digest is False
