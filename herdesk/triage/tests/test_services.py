"""Triage through its one service and its command (#15): suggestions recorded, corrections learned,
`herdesk triage suggest --jsonl` exactly as documented."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from herdesk.audit.models import AuditEntry
from herdesk.triage import services
from herdesk.triage.models import TriageModel

pytestmark = pytest.mark.django_db


def test_fresh_installation_suggests_from_the_starter_set() -> None:
    assert not TriageModel.objects.exists()
    s = services.suggest_text(subject="MK-300挤奶机真空压力报警", description="一直报ERR-123")
    assert s.problem_type == "technical_support" and s.team_code == "tech-support"
    assert s.model_version is None and not s.food_safety


def test_key_account_rule_applies_on_top_of_the_prediction() -> None:
    s = services.suggest_text(subject="挤奶机真空压力报警", tier="key_account")
    assert s.problem_type == "technical_support" and s.team_code == "account-managers"


def test_food_safety_report_suggests_major_severity() -> None:
    s = services.suggest_text(subject="酸奶胀包", description="孩子喝了以后拉肚子")
    assert s.food_safety and s.suggested_severity == "major" and s.problem_type == "complaint"


def test_train_stores_an_active_model_that_every_process_uses() -> None:
    first = services.triage_train(with_tickets=False)
    second = services.triage_train(with_tickets=False)
    assert list(TriageModel.objects.filter(active=True)) == [second]
    assert first.pk != second.pk and 0 < second.threshold <= services.DEFAULT_THRESHOLD
    assert services.suggest_text(subject="订单什么时候发货").model_version == second.pk


@pytest.mark.django_db(transaction=True)
def test_the_active_model_is_read_once_per_recheck_interval(settings, django_assert_num_queries) -> None:
    """Every intake asks for the active model; one query per interval answers them (#20). A model
    trained in this process is used at once; one activated elsewhere within the interval."""
    settings.HERDESK_TRIAGE_RECHECK_SECONDS = 60
    services._active.clear()
    first = services.triage_train(with_tickets=False)
    services.suggest_text(subject="订单什么时候发货")
    with django_assert_num_queries(0):
        assert services.suggest_text(subject="订单什么时候发货").model_version == first.pk
    second = services.triage_train(with_tickets=False)  # this process: seen at once
    assert services.suggest_text(subject="订单什么时候发货").model_version == second.pk
    TriageModel.objects.filter(pk=second.pk).update(active=False)  # "another process"
    TriageModel.objects.filter(pk=first.pk).update(active=True)
    assert services.suggest_text(subject="订单").model_version == second.pk  # within the interval
    services._active["row"] = (services._active["row"][0], services._active["row"][1] - 61)
    assert services.suggest_text(subject="订单").model_version == first.pk  # after it


def _suggest(lines: str) -> tuple[list[dict], str, int]:
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(lines)
    code = 0
    import sys

    old = sys.stdin
    sys.stdin = stdin
    try:
        call_command("triage", "suggest", "--jsonl", stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
    finally:
        sys.stdin = old
    return [json.loads(x) for x in out.getvalue().splitlines()], err.getvalue(), code


def test_suggest_jsonl_answers_each_line_in_the_documented_shape() -> None:
    rows, err, code = _suggest(
        '{"id": "a", "channel": "wechat", "subject": "牛奶有异味", "description": "喝了以后拉肚子"}\n'
        '{"id": 7, "channel": "email", "subject": "订单DD20261201005到哪了", "description": ""}\n'
    )
    assert code == 0 and err == ""
    assert [r["id"] for r in rows] == ["a", 7]
    assert set(rows[0]) == {"id", "problem_type", "team", "confidence", "food_safety"}
    assert rows[0]["food_safety"] is True and rows[1]["problem_type"] == "order_inquiry"
    assert all(0 <= r["confidence"] <= 1 for r in rows)


def test_suggest_jsonl_reports_malformed_lines_exits_2_and_still_answers_the_good_ones() -> None:
    rows, err, code = _suggest(
        'not json\n[1, 2]\n{"id": 3, "subject": 5}\n{"id": 4, "subject": "挤奶机坏了"}\n'
    )
    assert code == 2
    assert [r["id"] for r in rows] == [4]
    assert "line 1" in err and "line 2" in err and "line 3" in err


def test_a_food_safety_report_through_the_api_is_urgent_and_tells_the_supervisors(api, customer) -> None:
    """Every intake path records the suggestion in the creating transaction; a food-safety report
    raises the priority through the ticket service and notifies the supervisors (#15)."""
    from herdesk.notifications.models import Notification
    from herdesk.notifications.services import outbox_dispatch
    from herdesk.tickets.models import Ticket
    from herdesk.triage.models import TriageSuggestion

    c = api()
    body = {
        "customer_id": customer.pk,
        "channel": "email",
        "problem_type": "product_inquiry",
        "subject": "酸奶胀包",
        "description": "孩子喝了以后拉肚子，还在保质期内",
    }
    r = c.post("/api/v1/tickets", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    ticket = Ticket.objects.get(number=r.json()["number"])
    s = TriageSuggestion.objects.get(ticket=ticket)
    assert s.food_safety and s.problem_type == "complaint" and "胀包" in s.food_safety_terms
    assert ticket.priority == "urgent"
    # One step from normal straight to urgent: one audit entry, one timeline entry (issue #20).
    escalations = AuditEntry.objects.filter(action="ticket.escalate_priority", object_id=ticket.number)
    assert [(e.data["from"], e.data["to"]) for e in escalations] == [("normal", "urgent")]
    assert ticket.interactions.filter(data__to_priority="urgent").count() == 1
    outbox_dispatch()
    supervisors = set(Notification.objects.filter(ticket=ticket).values_list("user__username", flat=True))
    assert "cs_lead" in supervisors
    # The agent's decision at triage is stored beside the suggestion.
    r = c.post(
        f"/api/v1/tickets/{ticket.number}/triage",
        json.dumps(
            {"problem_type": "complaint", "complaint_severity": "major", "team_code": "account-managers"}
        ),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    s.refresh_from_db()
    assert s.final_problem_type == "complaint" and not s.overridden


def test_an_ordinary_question_is_not_escalated(api, customer) -> None:
    from herdesk.tickets.models import Ticket

    body = {
        "customer_id": customer.pk,
        "channel": "email",
        "problem_type": "product_inquiry",
        "subject": "酸奶开封后能放几天",
        "description": "我乳糖不耐受，喝酸奶会不会拉肚子？",
    }
    r = api().post("/api/v1/tickets", json.dumps(body), content_type="application/json")
    ticket = Ticket.objects.get(number=r.json()["number"])
    assert ticket.priority == "normal" and not ticket.triage_suggestions.get().food_safety
