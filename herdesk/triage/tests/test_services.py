"""Triage through its one service and its command (#15): suggestions recorded, corrections learned,
`herdesk triage suggest --jsonl` exactly as documented."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

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
