"""The complaint pages: who sees what, the workflow forms, refusals as 4xx, pinned query counts, the
taxonomy page and the 8D PDF (CMP-1..5)."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.complaints.choices import Stage
from herdesk.complaints.models import CauseCategory, Complaint

pytestmark = pytest.mark.django_db


def test_list_and_board_pinned(make_complaint: Any, login: Any, django_assert_max_num_queries: Any) -> None:
    for _ in range(3):
        make_complaint()
    client = login("qa1")
    with django_assert_max_num_queries(30):
        r = client.get("/complaints/")
    assert r.status_code == 200 and r.content.decode().count('href="/complaints/FW-') >= 3
    make_complaint()
    with django_assert_max_num_queries(30):
        r = client.get("/complaints/?view=board")
    assert r.status_code == 200 and 'id="complaint-board"' in r.content.decode()
    assert client.get("/complaints/?stage=nonsense&severity=x").status_code == 200


def test_visibility(make_complaint: Any, login: Any, staff: dict[str, Any]) -> None:
    c = make_complaint()
    url = f"/complaints/{c.ticket.number}/"
    assert login("qa1").get(url).status_code == 200
    assert login("cs_lead").get(url).status_code == 200
    assert login("am1").get(url).status_code == 200  # the key account's manager (CMP-4)
    assert login("agent2").get(url).status_code == 404  # neither owner nor handler
    assert login("admin").get("/complaints/").status_code == 403
    assert login("qa1").get("/complaints/FW-00000000-0000/").status_code == 404


def test_workflow_forms(make_complaint: Any, login: Any, staff: dict[str, Any]) -> None:
    c = make_complaint()
    client = login("qa1")
    base = f"/complaints/{c.ticket.number}/"
    r = client.post(
        base + "do/assess/",
        {
            "impact": "high",
            "urgency": "high",
            "severity": "major",
            "lot0_batch": "B2611",
            "lot0_date": "2026-11-02",
        },
    )
    assert r.status_code == 302
    # a major complaint without an owner is refused with a message, not a 500
    r = client.post(base + "do/assign/", {"owner": ""})
    assert r.status_code == 422 and "CMP-2" in r.content.decode()
    assert client.post(base + "do/assign/", {"owner": staff["qa1"].pk}).status_code == 302
    # a step the stage does not allow
    assert client.post(base + "do/close/").status_code == 409
    assert client.post(base + "do/teleport/").status_code == 404
    assert client.post(base + "do/assess/", {"impact": "x"}).status_code in (409, 422)
    # root cause, CAPA
    cat = CauseCategory.objects.get(code="material-packaging")
    r = client.post(
        base + "rca/", {"category": cat.pk, "why1": "包装破损", "why2": "封口温度低", "systemic": "1"}
    )
    assert r.status_code == 302
    assert client.post(base + "rca/", {"category": "", "why1": ""}).status_code == 400
    r = client.post(
        base + "capa/",
        {
            "kind": "corrective",
            "owner": staff["tech1"].pk,
            "working_days": "10",
            "description": "调整封口温度",
        },
    )
    assert r.status_code == 302
    assert client.post(base + "capa/", {"kind": "x", "working_days": "abc"}).status_code == 400
    capa = c.capas.get()
    assert login("tech1").post(f"/complaints/capa/{capa.pk}/do/start/").status_code == 302  # the CAPA owner
    assert login("agent2").post(f"/complaints/capa/{capa.pk}/do/start/").status_code == 404
    assert client.post(f"/complaints/capa/{capa.pk}/do/reopen/").status_code == 404  # the checks' action
    page = client.get(base).content.decode()
    assert "调整封口温度" in page and "包装破损" in page
    c.refresh_from_db()
    assert c.stage == Stage.ASSIGNED
    # a handler who is not the owner cannot work it
    assert login("am1").post(base + "do/contain/", {"text": "x"}).status_code == 403


def test_am_signs_off_on_the_page(make_complaint: Any, login: Any, staff: dict[str, Any]) -> None:
    c = make_complaint()
    Complaint.objects.filter(pk=c.pk).update(stage=Stage.SOLUTION, solution="换货")
    page = login("am1").get(f"/complaints/{c.ticket.number}/").content.decode()
    assert 'id="form-sign_off"' in page
    assert login("qa1").post(f"/complaints/{c.ticket.number}/do/sign_off/").status_code == 403
    assert login("am1").post(f"/complaints/{c.ticket.number}/do/sign_off/").status_code == 302
    c.refresh_from_db()
    assert c.am_signed_off_by == staff["am1"]


def test_regulator_form(make_complaint: Any, login: Any) -> None:
    c = make_complaint()
    client = login("qa1")
    r = client.post(
        f"/complaints/{c.ticket.number}/do/regulator/",
        {"regulator": "samr", "reference": "SC-1", "working_days": "5"},
    )
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.regulator == "samr" and c.regulator_due_at is not None
    assert "SC-1" in client.get("/complaints/?regulator=1").content.decode()


def test_causes_page(login: Any) -> None:
    lead = login("cs_lead")
    assert lead.get("/complaints/causes/").status_code == 200
    man = CauseCategory.objects.get(code="man")
    assert (
        lead.post(
            "/complaints/causes/", {"parent": man.pk, "code": "man-fatigue", "name": "疲劳作业"}
        ).status_code
        == 302
    )
    assert CauseCategory.objects.get(code="man-fatigue").parent == man
    assert (
        lead.post("/complaints/causes/", {"parent": man.pk, "code": "BAD CODE", "name": "x"}).status_code
        == 400
    )
    assert (
        login("qa1").post("/complaints/causes/", {"parent": man.pk, "code": "x1", "name": "x"}).status_code
        == 403
    )
    assert login("agent1").get("/complaints/causes/").status_code == 403


def test_8d_pdf(make_complaint: Any, login: Any, staff: dict[str, Any]) -> None:
    from herdesk.complaints import services as cs
    from herdesk.complaints.report import render_html

    c = make_complaint()
    cs.rca_record(
        complaint=c,
        actor=staff["qa1"],
        category=CauseCategory.objects.get(code="material-packaging"),
        whys=["包装破损", "封口温度低"],
    )
    html = render_html(complaint=c)
    assert "D4" in html and "封口温度低" in html and "Noto Sans CJK SC" in html
    r = login("qa1").get(f"/complaints/{c.ticket.number}/8d.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    # the Chinese font is embedded (fonts-noto-cjk): its name is in the (compressed) font objects
    import re
    import zlib

    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", r.content, re.S)
    text = b"".join(zlib.decompress(s) for s in streams if s[:1] == b"x") + r.content
    assert b"NotoSansCJK" in text or b"NotoSerifCJK" in text


def test_ticket_page_links_to_complaint_and_back(make_complaint: Any, make_ticket: Any, login: Any) -> None:
    """The ticket page of a complaint ticket links to its complaint page, which links back; other
    tickets, and staff who may not see the complaint, get no link."""
    c = make_complaint()
    client = login("qa1")
    html = client.get(f"/tickets/{c.ticket.number}/").content.decode()
    assert f'href="/complaints/{c.ticket.number}/" id="ticket-complaint-link"' in html
    back = client.get(f"/complaints/{c.ticket.number}/").content.decode()
    assert f'href="/tickets/{c.ticket.number}/" id="complaint-ticket-link"' in back
    other = make_ticket(problem_type="after_sales")
    assert 'id="ticket-complaint-link"' not in client.get(f"/tickets/{other.number}/").content.decode()
