"""Issue 18: every list page exports what it shows — the whole list (every page, same filters, same
order) as XLSX, with labels in the reader's language and times in Asia/Shanghai; recorded as a
personal-data export (PIPL) in the audit log."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from herdesk.audit.models import AuditEntry
from herdesk.tickets.models import Ticket
from herdesk.workspace.selectors import PAGE_SIZE

pytestmark = pytest.mark.django_db


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_queue_export_has_every_page_in_the_page_order(
    login, make_ticket, django_assert_max_num_queries
) -> None:
    base = timezone.now() - timedelta(hours=1)
    for i in range(PAGE_SIZE + 5):  # more than one page
        make_ticket(subject=f"挤奶机报警 {i:02d}", received_at=base + timedelta(seconds=i))
    agent = login("agent1")
    with django_assert_max_num_queries(14):
        rows = _sheet(agent.get("/queues/all/export.xlsx"))
    head, body = rows[0], rows[1:]
    assert head[:3] == ("工单", "主题", "状态")
    numbers = list(Ticket.objects.order_by("-id").values_list("number", flat=True))
    assert [r[0] for r in body] == numbers  # all of them, newest first, like the page
    first = Ticket.objects.order_by("-id").first()
    assert body[0][2] == "新建" and body[0][5] == "服务热线"
    shanghai = timezone.localtime(first.received_at).replace(tzinfo=None)
    assert abs(body[0][11] - shanghai) < timedelta(seconds=1)  # Beijing time, no zone in the cell
    entry = AuditEntry.objects.get(action="pii.export")
    assert entry.data["rows"] == PAGE_SIZE + 5 and entry.object_id == "all"


def test_queue_export_keeps_the_filters(login, make_ticket) -> None:
    make_ticket(subject="酸奶异味", problem_type="complaint")
    make_ticket(subject="挤奶机报警")
    rows = _sheet(login("agent1", lang="en").get("/queues/all/export.xlsx", {"problem_type": "complaint"}))
    assert [r[1] for r in rows[1:]] == ["酸奶异味"]
    assert rows[0][:3] == ("Ticket", "Subject", "Status") and rows[1][4] == "Complaint"


def test_clock_queue_export_names_the_clock(login, make_ticket) -> None:
    from herdesk.clocks.services import clock_sweep

    t = make_ticket(received_at=timezone.now() - timedelta(hours=2))
    clock_sweep()
    rows = _sheet(login("cs_lead").get("/queues/breached/export.xlsx"))
    assert rows[0][-2:] == ("时钟", "到期")
    assert {r[0] for r in rows[1:]} == {t.number}
    assert all(r[12] for r in rows[1:])


def test_search_export_has_every_match(login, make_ticket) -> None:
    for i in range(3):
        make_ticket(subject=f"冷链车温度异常 {i}")
    make_ticket(subject="酸奶保质期")
    rows = _sheet(login("agent1").get("/search/export.xlsx", {"q": "冷链车 温度"}))
    assert sorted(r[1] for r in rows[1:]) == [f"冷链车温度异常 {i}" for i in range(3)]
    assert AuditEntry.objects.get(action="pii.export").object_type == "search"


def test_search_export_refuses_a_bad_query_with_a_message(login) -> None:
    too_many = " ".join(f"词{i}" for i in range(50))
    r = login("agent1", lang="en").get("/search/export.xlsx", {"q": too_many}, follow=True)
    assert r.status_code == 400 and "search words" in r.content.decode()  # the search page says why


def test_the_pages_offer_the_export(login, make_ticket) -> None:
    make_ticket(subject="冷链车温度异常")
    agent = login("agent1")
    assert (
        'href="/queues/mine/export.xlsx?' in agent.get("/queues/mine/", {"priority": "high"}).content.decode()
    )
    assert "/search/export.xlsx?q=" in agent.get("/search/", {"q": "冷链车"}).content.decode()
