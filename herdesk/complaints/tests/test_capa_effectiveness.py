"""CAPA deadlines and effectiveness checks with time advanced (time-machine): warnings and breaches
through the sweep, the +30/+90-day checks that look for recurrence (same cause, product or batch)
and reopen the CAPA (CMP-3, CMP-5); regulator deadlines (CMP-5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from herdesk.complaints import services as cs
from herdesk.complaints.choices import CapaStatus, CheckResult
from herdesk.complaints.models import Capa, CauseCategory, Complaint
from herdesk.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _analysed(
    c: Complaint, staff: dict[str, Any], *, batch: str = "B2611", cause: str = "material-packaging"
) -> Complaint:
    cs.complaint_transition(
        complaint=c,
        action="assess",
        actor=staff["qa1"],
        impact="high",
        urgency="high",
        severity="major",
        lots=[{"batch": batch, "production_date": "2026-11-02"}],
    )
    cs.rca_record(
        complaint=c, actor=staff["qa1"], category=CauseCategory.objects.get(code=cause), whys=["包装破损"]
    )
    return c


def _done_capa(c: Complaint, staff: dict[str, Any]) -> Capa:
    capa = cs.capa_create(
        complaint=c,
        actor=staff["qa1"],
        kind="corrective",
        description="更换包装供应商",
        owner=staff["tech1"],
        working_days=5,
    )
    cs.capa_transition(capa=capa, action="start", actor=staff["tech1"])
    return cs.capa_transition(capa=capa, action="complete", actor=staff["tech1"], evidence="新供应商合同")


def _later(days: float) -> Any:
    return time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=False)


def test_no_recurrence_makes_it_effective(make_complaint: Any, staff: dict[str, Any]) -> None:
    capa = _done_capa(_analysed(make_complaint(), staff), staff)
    with _later(31):
        assert cs.complaints_sweep()["checks"] == 1
    capa.refresh_from_db()
    assert capa.status == CapaStatus.DONE
    assert capa.checks.get(days=30).result == CheckResult.NO_RECURRENCE
    with _later(91):
        cs.complaints_sweep()
    capa.refresh_from_db()
    assert capa.status == CapaStatus.EFFECTIVE


@pytest.mark.parametrize("same", ["product", "batch", "cause"])
def test_recurrence_reopens(
    same: str, make_complaint: Any, staff: dict[str, Any], other_customer: Any
) -> None:
    from herdesk.catalog.models import Product

    products = list(Product.objects.order_by("pk")[:2])
    origin = _analysed(make_complaint(product=products[0]), staff)
    capa = _done_capa(origin, staff)
    with _later(31):
        cs.complaints_sweep()  # +30: nothing yet
    with _later(45):
        new = make_complaint(cust=other_customer, product=products[0] if same == "product" else products[1])
        _analysed(
            new,
            staff,
            batch="B2611" if same == "batch" else "B9999",
            cause="material-packaging" if same == "cause" else "man-attitude",
        )
    with _later(91):
        cs.complaints_sweep()
    capa.refresh_from_db()
    check = capa.checks.get(days=90)
    assert check.result == CheckResult.RECURRED and check.recurrences == [new.ticket.number]
    assert capa.status == CapaStatus.REOPENED and capa.reopen_count == 1
    told = Notification.objects.filter(user=staff["tech1"], ticket=origin.ticket).values_list(
        "text", flat=True
    )
    assert any("reopened" in t or "重开" in t for t in told), list(told)
    # the reopened CAPA runs again with a new due date; finishing it schedules new checks
    cs.capa_transition(capa=capa, action="start", actor=staff["tech1"])
    capa = cs.capa_transition(capa=capa, action="complete", actor=staff["tech1"], evidence="再次整改")
    assert capa.checks.filter(performed_at__isnull=True).count() == 2


def test_unrelated_complaint_is_no_recurrence(
    make_complaint: Any, staff: dict[str, Any], other_customer: Any
) -> None:
    from herdesk.catalog.models import Product

    products = list(Product.objects.order_by("pk")[:2])
    capa = _done_capa(_analysed(make_complaint(product=products[0]), staff), staff)
    with _later(10):
        _analysed(
            make_complaint(cust=other_customer, product=products[1]),
            staff,
            batch="B0001",
            cause="man-attitude",
        )
    with _later(31):
        cs.complaints_sweep()
    assert capa.checks.get(days=30).result == CheckResult.NO_RECURRENCE


def test_capa_warning_and_breach_once(make_complaint: Any, staff: dict[str, Any]) -> None:
    c = make_complaint()
    cs.complaint_transition(
        complaint=c, action="assess", actor=staff["qa1"], impact="low", urgency="low", severity="general"
    )
    c = cs.complaint_transition(complaint=c, action="assign", actor=staff["qa1"], owner=staff["qa1"])
    capa = cs.capa_create(
        complaint=c,
        actor=staff["qa1"],
        kind="preventive",
        description="培训",
        owner=staff["tech1"],
        working_days=2,
    )
    with time_machine.travel(capa.warn_at + dt.timedelta(minutes=1), tick=False):
        assert cs.complaints_sweep()["warnings"] == 1
        assert cs.complaints_sweep()["warnings"] == 0
    with time_machine.travel(capa.due_at + dt.timedelta(minutes=1), tick=False):
        assert cs.complaints_sweep()["breaches"] == 1
        assert cs.complaints_sweep()["breaches"] == 0
    kinds = sorted(
        Notification.objects.filter(user=staff["tech1"], ticket=c.ticket).values_list("kind", flat=True)
    )
    assert kinds.count("clock_warning") == 1 and kinds.count("clock_breach") == 1
    assert Notification.objects.filter(user=staff["qa1"], kind="clock_breach", ticket=c.ticket).count() == 1


def test_regulator_deadline(make_complaint: Any, staff: dict[str, Any]) -> None:
    from herdesk.calendars.selectors import working_calendar
    from herdesk.common.errors import DomainError

    c = make_complaint()
    with pytest.raises(DomainError):
        cs.complaint_regulator_set(complaint=c, actor=staff["qa1"], regulator="", reference="x")
    c = cs.complaint_regulator_set(
        complaint=c, actor=staff["qa1"], regulator="12315", reference="SC2611-0042"
    )
    assert c.regulator_due_at == working_calendar("office").add_working_days(timezone.now(), 7)
    with time_machine.travel(c.regulator_due_at + dt.timedelta(minutes=1), tick=False):
        counts = cs.complaints_sweep()
    assert counts["breaches"] == 1
    assert Notification.objects.filter(user=staff["am1"], kind="clock_breach", ticket=c.ticket).exists()
    cs.complaint_regulator_replied(complaint=c, actor=staff["qa1"])
    with pytest.raises(DomainError):
        cs.complaint_regulator_replied(complaint=c, actor=staff["qa1"])


def test_sweep_is_a_periodic_job() -> None:
    from herdesk.ops.jobs import job_by_task, job_run

    out = job_run(job_by_task("herdesk.complaints_sweep"))
    assert set(out) == {"records", "warnings", "breaches", "checks"}
