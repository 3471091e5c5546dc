"""#13 (CMP-1): the complaint severity on the intake page and in the triage form of the ticket page."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from herdesk.catalog.models import Product
from herdesk.staff.models import Team
from herdesk.tickets.models import Ticket


def test_severity_at_intake_and_at_triage(login, customer, staff) -> None:
    agent = login("agent1", lang="en")
    page = agent.get("/intake/").content.decode()
    assert 'name="complaint_severity"' in page
    started = timezone.now().replace(microsecond=0) - timedelta(minutes=3)
    r = agent.post(
        "/intake/",
        {
            "channel": "phone",
            "call_started_at": started.isoformat(),
            "customer_id": customer.pk,
            "phone": "13812348000",
            "problem_type": "complaint",
            "product": Product.objects.get(code="yogurt").pk,
            "subject": "酸奶批次异味",
            "description": "多名顾客反映同批次酸奶有异味",
            "priority": "high",
            "complexity": "general",
            "complaint_severity": "major",
            "confirmed": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    t = Ticket.objects.get()
    assert t.complaint_severity == "major"
    assert t.clocks.exclude(state="cancelled").get(kind="complaint_solution").target == "5wd"

    page = agent.get(f"/tickets/{t.number}/").content.decode()
    assert 'name="triage-complaint_severity"' in page
    cs = Team.objects.get(code="customer-service")
    r = agent.post(
        f"/tickets/{t.number}/do/triage/",
        {
            "triage-problem_type": "complaint",
            "triage-complexity": "general",
            "triage-priority": "high",
            "triage-complaint_severity": "general",
            "triage-team": cs.pk,
            "triage-expected_response_minutes": "15",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    t.refresh_from_db()
    assert t.complaint_severity == "general"
    solution = t.clocks.exclude(state="cancelled").get(kind="complaint_solution")
    assert solution.target == "3wd" and solution.started_at == t.received_at
