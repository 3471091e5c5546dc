"""The supervision pages: plan → draw → review → dispute → decision, calibration, agent scorecards,
XLSX export, visibility, bad input as 4xx, pinned query counts."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from herdesk.quality import services as qs
from herdesk.quality.models import InspectionPlan, Review, SampleDraw, Scorecard, ScoreCriterion

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _tuesday() -> Any:
    with time_machine.travel(NOW, tick=True):
        yield


def _client(login: Any, name: str) -> Any:
    return login(name, lang="en")


def test_plan_draw_review_dispute_decide(qa: dict[str, Any], contacts: Any, login: Any) -> None:
    t = contacts("ticket", "agent1", NOW - timedelta(days=6))
    contacts("chat", "agent2", NOW - timedelta(days=5))
    card = Scorecard.objects.get(code="seed-001-conduct")
    c = _client(login, "qa1")
    r = c.post(
        "/quality/plans/",
        {"name": "每周抽查", "cycle": "weekly", "scorecard": card.pk, "sources": ["ticket", "chat"],
         "percentage": "10", "per_agent_minimum": "1", "recheck_count": "3", "stratify_by_channel": "1",
         "reviewers": [qa["qa1"].pk]},
    )  # fmt: skip
    plan = InspectionPlan.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/quality/plans/{plan.pk}/"
    assert c.get(f"/quality/plans/{plan.pk}/").status_code == 200
    r = c.post(f"/quality/plans/{plan.pk}/draw/", {"seed": "4242"})
    draw = SampleDraw.objects.get()
    assert r["Location"] == f"/quality/draws/{draw.pk}/" and draw.seed == 4242 and draw.items.count() == 2
    page = c.get(f"/quality/draws/{draw.pk}/").content.decode()
    assert "identical sample" in page
    item = draw.items.get(source="ticket")
    r = c.post(f"/quality/items/{item.pk}/review/")
    review = Review.objects.get()
    assert r["Location"] == f"/quality/reviews/{review.pk}/"
    page = c.get(f"/quality/reviews/{review.pk}/").content.decode()
    assert t.number in page and "qa-callback" in page
    crit = {x.code: x for x in ScoreCriterion.objects.filter(section__version=review.version)}
    post = {f"r-{x.pk}": str(int(x.scale.split("-")[1])) for x in crit.values()}
    post[f"r-{crit['accuracy'].pk}"] = "2"  # 15 × 2/4 = 7.5 → 92.50
    post["submit"] = "1"
    r = c.post(f"/quality/reviews/{review.pk}/", post)
    assert r.status_code == 422 and "comment" in r.content.decode()  # a deduction needs a comment
    post[f"c-{crit['accuracy'].pk}"] = "参数说明有误"
    post["callback_result"] = "confirmed"
    post["callback_notes"] = "客户确认已解决"
    r = c.post(f"/quality/reviews/{review.pk}/", post)
    assert r.status_code == 302
    review.refresh_from_db()
    assert str(review.score) == "92.50" and review.grade == "excellent" and review.state == "submitted"
    assert review.callback_result == "confirmed" and t.number in review.callback_script
    # The agent sees and disputes; another agent does not see it.
    assert _client(login, "agent2").get(f"/quality/reviews/{review.pk}/").status_code == 404
    a = _client(login, "agent1")
    assert "dispute-form" in a.get(f"/quality/reviews/{review.pk}/").content.decode()
    assert a.post(f"/quality/reviews/{review.pk}/dispute/", {"reason": ""}).status_code == 422
    assert a.post(f"/quality/reviews/{review.pk}/dispute/", {"reason": "参数无误"}).status_code == 302
    # The first reviewer may not decide; cs_lead (supervisor) may.
    assert (
        c.post(f"/quality/reviews/{review.pk}/decide/", {"decision": "upheld", "note": "x"}).status_code
        == 403
    )
    s = _client(login, "cs_lead")
    assert "decide-form" in s.get(f"/quality/reviews/{review.pk}/").content.decode()
    r = s.post(f"/quality/reviews/{review.pk}/decide/", {"decision": "upheld", "note": "录音核实，维持"})
    assert r.status_code == 302
    review.refresh_from_db()
    assert review.state == "final" and review.dispute.decision == "upheld"


def test_versions_page_edit_and_publish(qa: dict[str, Any], login: Any) -> None:
    card = Scorecard.objects.get(code="seed-000-inspection")
    v1 = card.versions.get()
    c = _client(login, "qa1")
    assert c.get(f"/quality/versions/{v1.pk}/").status_code == 200
    r = c.post(f"/quality/versions/{v1.pk}/draft/")
    v2 = card.versions.get(number=2)
    assert r["Location"] == f"/quality/versions/{v2.pk}/"
    crit = ScoreCriterion.objects.filter(section__version=v2).first()
    assert c.post(f"/quality/versions/{v2.pk}/", {f"w-{crit.pk}": "x"}).status_code == 422
    c.post(f"/quality/versions/{v2.pk}/", {f"w-{crit.pk}": str(crit.weight + 5)})
    assert c.post(f"/quality/versions/{v2.pk}/publish/").status_code == 302
    v2.refresh_from_db()
    assert v2.state == "draft"  # 105: refused
    assert "105" in c.get(f"/quality/versions/{v2.pk}/").content.decode()
    assert _client(login, "agent1").get(f"/quality/versions/{v1.pk}/").status_code == 403


def test_calibration_pages(qa: dict[str, Any], contacts: Any, login: Any) -> None:
    t1 = contacts("ticket", "agent1", NOW - timedelta(days=2))
    chat = contacts("chat", "agent2", NOW - timedelta(days=2))
    card = Scorecard.objects.get(code="seed-000-inspection")
    c = _client(login, "qa1")
    r = c.post(
        "/quality/calibration/",
        {"title": "校准", "scorecard": card.pk, "reviewers": [qa[n].pk for n in ("qa1", "qa2", "qa3")],
         "items": f"{t1.number} chat:{chat.pk}"},
    )  # fmt: skip
    assert r.status_code == 302
    session_url = r["Location"]
    assert c.post("/quality/calibration/", {"scorecard": card.pk, "items": "nonsense"}).status_code == 400
    page = c.get(session_url).content.decode()
    assert "Score blind" in page
    from herdesk.quality.models import CalibrationSession

    session = CalibrationSession.objects.get()
    crit = list(ScoreCriterion.objects.filter(section__version=session.version))
    for n, name in enumerate(("qa1", "qa2", "qa3")):
        cl = _client(login, name)
        for item in session.items.all():
            assert cl.get(f"/quality/calibration/items/{item.pk}/").status_code == 200
            post = {f"r-{x.pk}": str(int(x.scale.split("-")[1])) for x in crit}
            post[f"r-{crit[3].pk}"] = str(4 - n)
            post[f"c-{crit[3].pk}"] = "用语" if n else ""
            assert cl.post(f"/quality/calibration/items/{item.pk}/", post).status_code == 302
    assert _client(login, "agent1").get(f"/quality/calibration/items/{item.pk}/").status_code == 403
    assert c.post(f"/quality/calibration/{session.pk}/close/").status_code == 302
    page = c.get(session_url).content.decode()
    assert "α =" in page
    assert c.get("/quality/calibration/").status_code == 200


def test_agent_scorecard_visibility_and_export(qa: dict[str, Any], login: Any) -> None:
    agent1 = qa["agent1"]
    assert _client(login, "agent1").get(f"/quality/agents/{agent1.pk}/").status_code == 200
    assert _client(login, "agent2").get(f"/quality/agents/{agent1.pk}/").status_code == 404
    assert _client(login, "cs_lead").get(f"/quality/agents/{agent1.pk}/").status_code == 200  # team lead
    assert _client(login, "manager").get(f"/quality/agents/{agent1.pk}/").status_code == 200
    assert _client(login, "tech1").get(f"/quality/agents/{agent1.pk}/").status_code == 404
    m = _client(login, "manager")
    assert m.get(f"/quality/agents/{agent1.pk}/?period=2026-13").status_code == 422
    for period in ("2026-11", "2026Q4", "2026"):
        assert m.get(f"/quality/agents/{agent1.pk}/?period={period}").status_code == 200
    r = m.get(f"/quality/agents/{agent1.pk}/export.xlsx?period=2026Q4")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    import zipfile

    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    cs = _client(login, "cs_lead")
    form = {"period": "2026-11", "kind": "supervisor", "score": "88", "comment": "认真负责"}
    r = cs.post(f"/quality/agents/{agent1.pk}/appraise/", form)
    assert r.status_code == 302
    page = m.get(f"/quality/agents/{agent1.pk}/?period=2026-11").content.decode()
    assert "认真负责" in page
    # A team lead without the supervisor role sees the team only (tech1 leads technical support).
    t = _client(login, "tech1")
    assert t.get(f"/quality/agents/{qa['tech2'].pk}/").status_code == 200
    ov = t.get("/quality/agents/?period=2026-11").content.decode()
    assert "tech2" in ov and "agent2" not in ov


def test_weights_page(qa: dict[str, Any], login: Any) -> None:
    m = _client(login, "manager")
    bad = {"w-on_time": "50", "w-qa": "60", "aht_target_minutes": "240"}
    assert m.post("/quality/weights/", bad).status_code == 422
    good = {"w-on_time": "40", "w-qa": "60", "aht_target_minutes": "200"}
    assert m.post("/quality/weights/", good).status_code == 302
    assert _client(login, "cs_lead").post("/quality/weights/", good).status_code == 403


def test_list_pages_query_counts(
    qa: dict[str, Any], contacts: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(6):
        contacts("ticket", ["agent1", "agent2"][i % 2], NOW - timedelta(days=6, hours=i))
    plan = qs.plan_create(actor=qa["qa1"], name="p", cycle="weekly", sources=["ticket"],
                          scorecard=Scorecard.objects.get(code="seed-001-conduct"), reviewers=[qa["qa1"]],
                          percentage=100, per_agent_minimum=0)  # fmt: skip
    draw = qs.sample_draw(actor=qa["qa1"], plan=plan)
    c = _client(login, "qa1")
    for url in (
        "/quality/",
        f"/quality/draws/{draw.pk}/",
        "/quality/plans/",
        "/quality/agents/?period=2026-11",
    ):
        c.get(url)
        with django_assert_max_num_queries(60):
            assert c.get(url).status_code == 200
