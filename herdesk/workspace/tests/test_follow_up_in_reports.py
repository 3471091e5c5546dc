"""The follow-up rate in the compliance report and the report pack (#18) is the follow-up rate
page's figure: the follow-up app's fixture month (November 2026, hand-computed: 3 of 6 owed in time)."""

from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command

from herdesk.followup.tests import test_rate

pytestmark = pytest.mark.django_db
november = test_rate.november  # the follow-up app's hand-computed month


def _sheet(path, name_starts: str) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    name = next(n for n in book.sheetnames if n.startswith(name_starts))
    return list(book[name].iter_rows(values_only=True))


def test_compliance_page_and_report_pack_agree_with_the_follow_up_rate_page(
    client, staff, november, tmp_path
) -> None:
    client.force_login(staff["cs_lead"])
    rate_page = client.get("/followup/rate/?month=2026-11", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-rate="0.5000"' in rate_page
    r = client.get("/supervisor/compliance/?month=2026-11", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-follow-up-rate="50.0"' in html and 'id="follow-up-rate"' in html
    chart = r.context["follow_up_chart"][0]
    assert chart["target"] == 0.9 and chart["series"][0]["data"][-1] == 0.5
    # The monthly pack: the follow-up sheet's total is the page's 3 of 6.
    xlsx = tmp_path / "2026-11.xlsx"
    call_command(
        "report", "monthly", "--month", "2026-11", "--format", "xlsx", "--out", str(xlsx),
        "--language", "en", stdout=StringIO(),
    )  # fmt: skip
    rows = _sheet(xlsx, "Follow-up")
    total = rows[-1]
    assert total[0] == "Total" and total[1:6] == (7, 1, 6, 3, 1)
    assert total[6] == pytest.approx(0.5) and total[7] == pytest.approx(0.9)
    # The quarter adds its months up: October 1 of 1, November 3 of 6, December 1 of 1 → 5 of 8.
    q = tmp_path / "2026Q4.xlsx"
    call_command(
        "report", "quarterly", "--quarter", "2026Q4", "--format", "xlsx", "--out", str(q),
        "--language", "en", stdout=StringIO(),
    )  # fmt: skip
    assert _sheet(q, "Follow-up")[-1][1:7] == (9, 1, 8, 5, 1, pytest.approx(5 / 8))
    pdf = tmp_path / "2026-11.pdf"
    call_command(
        "report", "monthly", "--month", "2026-11", "--format", "pdf", "--out", str(pdf), stdout=StringIO()
    )
    assert pdf.read_bytes()[:5] == b"%PDF-"
