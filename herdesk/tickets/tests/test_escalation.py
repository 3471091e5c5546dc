"""#12: a clock's breach actions change the ticket through the ticket services: "escalate priority"
(timeline, audit, clocks reconciled), "reassign" to the team lead or to the least-loaded agent of the
team (a real transfer: assignee, Transfer row, new acknowledge clock), and the notices go out."""

from __future__ import annotations

from herdesk.audit.models import AuditEntry
from herdesk.clocks.models import Clock
from herdesk.notifications.models import Notification
from herdesk.notifications.services import outbox_dispatch, outbox_enqueue_many
from herdesk.staff.models import Team
from herdesk.tickets import services as s
from herdesk.tickets.models import Transfer


def _assigned(customer, staff, team_code: str, assignee: str):
    agent = staff["agent1"]
    t = s.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="technical_support", subject="压力低"
    )
    team = Team.objects.get(code=team_code)
    s.ticket_triage(ticket=t, actor=agent, complexity="general", team=team)
    return s.ticket_assign(ticket=t, actor=agent, assignee=staff[assignee], team=team, reason="派单")


def _breach(t, *actions: str) -> None:
    payload = {"ticket": t.number, "clock": "acknowledge", "incident": "breach", "due_at": ""}
    outbox_enqueue_many(
        [
            {"dedupe_key": f"test:{t.pk}:{a}", "channel": "action", "template": a, "ticket_id": t.pk,
             "payload": payload}
            for a in actions
        ]
    )  # fmt: skip
    assert outbox_dispatch()["failed"] == 0


def test_reassign_to_the_least_loaded_agent_and_escalate(customer, staff) -> None:
    t = _assigned(customer, staff, "tech-support", "tech2")
    busy = _assigned(customer, staff, "tech-support", "tech1")  # tech1 now has one open ticket
    assert busy.assignee == staff["tech1"]
    other = _assigned(customer, staff, "tech-support", "tech2")
    _breach(other, "reassign_least_loaded")  # tech2 has two, tech1 one: tech1 takes it
    other.refresh_from_db()
    assert other.assignee == staff["tech1"] and other.status == "assigned"

    _breach(t, "reassign_least_loaded", "escalate_priority")
    t.refresh_from_db()
    # tech2 (current assignee) excluded; tech1 the only other handler of the team.
    assert t.assignee == staff["tech1"] and t.priority == "high"
    last = Transfer.objects.filter(ticket=t).latest("id")
    assert (last.from_user, last.to_user) == (staff["tech2"], staff["tech1"])
    ack = Clock.objects.filter(ticket=t, kind="acknowledge").exclude(state="cancelled").latest("cycle")
    assert ack.cycle >= 2 and ack.stopped_at is None  # a new 15-minute acknowledgement
    assert t.interactions.filter(data__to_priority="high").exists()
    assert AuditEntry.objects.filter(action="ticket.escalate_priority", object_id=t.number).exists()
    assert Notification.objects.filter(ticket=t, user=staff["tech1"]).exists()


def test_reassign_to_the_team_lead(customer, staff) -> None:
    t = _assigned(customer, staff, "customer-service", "agent2")
    _breach(t, "reassign", "notify_team_lead")
    t.refresh_from_db()
    assert t.assignee == staff["cs_lead"] and t.team.code == "customer-service"
    assert Notification.objects.filter(ticket=t, user=staff["cs_lead"]).exists()
    # A ticket waiting for the customer is not reassigned; the notice still goes out.
    w = _assigned(customer, staff, "customer-service", "agent2")
    s.ticket_acknowledge(ticket=w, actor=staff["agent2"])
    s.ticket_wait_customer(ticket=w, actor=staff["agent2"], reason="等照片")
    _breach(w, "reassign")
    w.refresh_from_db()
    assert w.assignee == staff["agent2"]
    assert Notification.objects.filter(ticket=w, user=staff["cs_lead"]).exists()
