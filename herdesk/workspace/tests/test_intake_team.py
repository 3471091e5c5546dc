"""#13: an untriaged ticket of any channel belongs to the intake team from the moment it arrives, so
any agent of that team (not only the one who took the contact) sees it in the unassigned queue, opens
it and claims it. The team per channel is a setting."""

from __future__ import annotations

import pytest
from django.test import override_settings

from herdesk.staff.models import Team
from herdesk.tickets import services as ts


@pytest.mark.parametrize("channel", ["portal", "email", "wechat", "chat", "social"])
def test_untriaged_tickets_reach_the_intake_teams_unassigned_queue(login, customer, channel) -> None:
    t = ts.ticket_create(
        actor=None, customer=customer, channel=channel, problem_type="product_inquiry", subject="酸奶保质期"
    )
    assert t.team == Team.objects.get(code="customer-service")
    agent2 = login("agent2", lang="en")  # neither the first contact nor the assignee
    assert t.number in agent2.get("/queues/unassigned/").content.decode()
    assert agent2.get(f"/tickets/{t.number}/").status_code == 200
    ts.ticket_triage(ticket=t, actor=None, complexity="general")
    assert agent2.post(f"/tickets/{t.number}/do/take/").status_code == 302
    t.refresh_from_db()
    assert t.assignee.username == "agent2" and t.status == "assigned"


def test_the_intake_team_is_configurable_per_channel(customer) -> None:
    with override_settings(HERDESK_INTAKE_TEAMS={"social": "tech-support"}):
        social = ts.ticket_create(
            actor=None, customer=customer, channel="social", problem_type="product_inquiry", subject="微博"
        )
        email = ts.ticket_create(
            actor=None, customer=customer, channel="email", problem_type="product_inquiry", subject="邮件"
        )
    assert (social.team.code, email.team.code) == ("tech-support", "customer-service")


def test_triage_that_hands_the_ticket_to_another_team_returns_to_the_queue_not_a_404(login, customer) -> None:
    t = ts.ticket_create(
        actor=None, customer=customer, channel="portal", problem_type="technical_support", subject="报警"
    )
    agent = login("agent1", lang="en")
    tech = Team.objects.get(code="tech-support")
    r = agent.post(
        f"/tickets/{t.number}/do/triage/",
        {
            "triage-problem_type": "technical_support",
            "triage-complexity": "general",
            "triage-priority": "normal",
            "triage-team": tech.pk,
            "triage-expected_response_minutes": "15",
        },
        follow=True,
    )
    assert r.status_code == 200 and r.redirect_chain[-1][0] == "/queues/mine/"
    assert f"{t.number} is now with {tech.name_en}" in r.content.decode()
