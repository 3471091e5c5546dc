"""Governance pages (POL-1, POL-2, CAL-1; issue #12): the policy editor and the calendar editor,
driven through the Django test client. The Playwright walk-through is in test_e2e_governance.py."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from herdesk.audit.models import AuditEntry
from herdesk.audit.services import audit_verify
from herdesk.calendars.models import CalendarVersion, Holiday
from herdesk.calendars.selectors import working_calendar
from herdesk.policies.models import PolicyVersion
from herdesk.policies.selectors import policy_version_in_force
from herdesk.workspace.forms_governance import clock_initial

SH = ZoneInfo("Asia/Shanghai")


def _clock_post(version: PolicyVersion, override: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The clock table as the page posts it; override maps a clock pk to changed fields."""
    data: dict[str, Any] = {"notes": version.notes}
    for c in version.clocks.all():
        values = {**clock_initial(c), **(override or {}).get(c.pk, {})}
        for k, v in values.items():
            data[f"c{c.pk}-{k}"] = v
    return data


@pytest.fixture
def draft(login: Any) -> PolicyVersion:
    r = login("cs_lead").post("/governance/policies/draft/", {"notes": "首次响应缩短到 20 分钟"})
    assert r.status_code == 302
    return PolicyVersion.objects.get(status="draft")


def test_policy_pages_by_role(login: Any, staff: Any) -> None:
    page = login("cs_lead").get("/governance/policies/")
    assert page.status_code == 200 and 'id="draft-form"' in page.content.decode()
    assert 'href="/governance/policies/"' in page.content.decode()  # the navigation link
    qa = login("qa1")
    body = qa.get("/governance/policies/").content.decode()
    assert 'id="draft-form"' not in body
    assert qa.post("/governance/policies/draft/").status_code == 403
    assert login("agent1").get("/governance/policies/").status_code == 403
    assert login("agent1").get("/governance/calendars/office/").status_code == 403


def test_draft_edit_submit_approve(login: Any, staff: Any, draft: PolicyVersion) -> None:
    from herdesk.notifications.models import Notification
    from herdesk.notifications.services import outbox_dispatch

    lead = login("cs_lead")
    url = f"/governance/policies/{draft.pk}/"
    body = lead.get(url).content.decode()
    assert 'id="clocks-form"' in body and 'id="submit-form"' in body
    first = draft.clocks.get(kind="first_response", target="30m")

    # Bad input: 400 with the message, nothing saved.
    r = lead.post(url + "clocks/", _clock_post(draft, {first.pk: {"target": "soon"}}))
    assert r.status_code == 400
    assert "30m、4h" in r.content.decode() or "30m, 4h" in r.content.decode()
    first.refresh_from_db()
    assert first.target == "30m"

    r = lead.post(
        url + "clocks/",
        _clock_post(draft, {first.pk: {"target": "20m", "breach_actions": ["notify_assignee", "reassign"]}}),
    )
    assert r.status_code == 302
    first.refresh_from_db()
    assert first.target == "20m" and first.breach_actions == ["notify_assignee", "reassign"]

    # The diff page shows the change.
    in_force = policy_version_in_force(at=dt.datetime.now(SH))
    diff = lead.get(f"/governance/policies/diff/?a={in_force.pk}&b={draft.pk}").content.decode()
    assert 'data-field="target"' in diff and "20m" in diff

    assert lead.post(url + "submit/").status_code == 302
    outbox_dispatch()
    assert Notification.objects.filter(user=staff["manager"], text__contains=f"v{draft.number}").exists()
    # Submitted: no more edits.
    assert lead.post(url + "clocks/", _clock_post(draft)).status_code == 409

    boss = login("manager")
    body = boss.get(url).content.decode()
    assert 'id="decide-form"' in body
    assert 'id="nav-pending-approvals"' in body  # the approver's sidebar badge
    r = boss.post(url + "decide/", {"decision": "approve", "effective_from": "2020-01-01T00:00"})
    assert r.status_code == 400
    r = boss.post(url + "decide/", {"decision": "reject", "comment": ""})
    assert r.status_code == 400
    r = boss.post(
        url + "decide/", {"decision": "approve", "effective_from": "2026-11-25T00:00", "comment": "同意"}
    )
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.effective_from == dt.datetime(2026, 11, 25, tzinfo=SH)
    history = boss.get(url).content.decode()
    for step in ("policy.draft", "policy.clock_update", "policy.submit", "policy.approve"):
        assert f'data-action="{step}"' in history
    assert "同意" in history
    # v2 is scheduled (effective tomorrow); a new draft copies it, not v1, so its change is kept.
    assert 'id="scheduled"' in lead.get("/governance/policies/").content.decode()
    assert lead.post("/governance/policies/draft/").status_code == 302
    v3 = PolicyVersion.objects.get(status="draft")
    assert v3.number == draft.number + 1
    assert v3.clocks.filter(kind="first_response", target="20m").exists()
    assert audit_verify().ok


def test_drafter_cannot_approve(login: Any, staff: Any, draft: PolicyVersion) -> None:
    from django.contrib.auth.models import Permission

    # A manager who also edited the draft (given drafting rights for the test).
    staff["manager"].user_permissions.add(*Permission.objects.filter(codename="change_policyversion"))
    boss = login("manager")
    url = f"/governance/policies/{draft.pk}/"
    first = draft.clocks.first()
    assert (
        boss.post(url + "clocks/", _clock_post(draft, {first.pk: {"warn_at_percent": 60}})).status_code == 302
    )
    assert login("cs_lead").post(url + "submit/").status_code == 302
    r = boss.post(url + "decide/", {"decision": "approve", "effective_from": "2026-11-25T00:00"})
    assert r.status_code == 403
    assert "another member of management" in r.content.decode() or "另一位管理层" in r.content.decode()
    assert PolicyVersion.objects.get(pk=draft.pk).status == "submitted"


def test_calendar_hours_closures_and_holidays(login: Any, staff: Any) -> None:
    admin = login("admin")
    base = "/governance/calendars/office/"
    assert admin.get("/governance/calendars/").status_code == 302
    page = admin.get(base)
    assert page.status_code == 200 and "09:00-12:00, 13:00-18:00" in page.content.decode()
    token = CalendarVersion.objects.get(pk=1).token
    saturday = dt.datetime(2026, 11, 28, 10, tzinfo=SH)
    assert not working_calendar("office").is_open(saturday)

    hours = {f"day{d}": "09:00-12:00, 13:00-18:00" for d in range(5)} | {
        "day5": "09:00-12:00",
        "observes_holidays": "on",
    }
    assert admin.post(base + "hours/", {**hours, "day5": "12:00-09:00"}).status_code == 400
    assert admin.post(base + "hours/", {**hours, "day5": "09:00-12:00, 11:00-13:00"}).status_code == 400
    assert admin.post(base + "hours/", hours).status_code == 302
    # The clocks see it: the version token moved (other processes reload) and this process reloaded.
    assert CalendarVersion.objects.get(pk=1).token != token
    assert working_calendar("office").is_open(saturday)
    entry = AuditEntry.objects.filter(action="calendar.hours_set", object_id="office").get()
    assert (
        entry.data["after"]["weekly"]["5"] == [[32400, 43200]] and "5" not in entry.data["before"]["weekly"]
    )

    tuesday = dt.datetime(2026, 12, 1, 10, tzinfo=SH)
    assert working_calendar("office").is_open(tuesday)
    assert admin.post(base + "closures/", {"date": "2026-12-01", "reason": "年度盘点"}).status_code == 302
    assert not working_calendar("office").is_open(tuesday)
    assert admin.post(base + "closures/", {"date": "not a date"}).status_code == 400
    assert admin.post(base + "closures/remove/", {"date": "2026-12-01"}).status_code == 302
    assert working_calendar("office").is_open(tuesday)

    schedule = {
        "holidays": ["2027-01-01", "2027-02-17"],
        "workdays": ["2027-02-07"],
        "source": "国办发明电〔2026〕X号",
    }
    upload = SimpleUploadedFile(
        "cn_2027.json", json.dumps(schedule).encode(), content_type="application/json"
    )
    preview = admin.post(base + "holidays/", {"file": upload})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert 'id="holiday-preview"' in body and 'data-new="2027-02-07"' in body
    assert not Holiday.objects.filter(date__year=2027).exists()  # a preview writes nothing
    assert admin.post(base + "holidays/", {"text": "{not json"}).status_code == 400
    bad = json.dumps({"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]})
    assert admin.post(base + "holidays/", {"text": bad}).status_code == 400
    r = admin.post(base + "holidays/", {"text": json.dumps(schedule), "apply": "1"})
    assert r.status_code == 302
    assert Holiday.objects.filter(date__year=2027).count() == 3
    assert not working_calendar("office").is_open(dt.datetime(2027, 2, 17, 10, tzinfo=SH))
    assert working_calendar("office").is_open(dt.datetime(2027, 2, 7, 10, tzinfo=SH))  # a Sunday, worked
    actions = set(AuditEntry.objects.filter(actor_id=staff["admin"].pk).values_list("action", flat=True))
    assert {
        "calendar.hours_set",
        "calendar.closure_add",
        "calendar.closure_remove",
        "calendar.holidays_import",
    } <= actions
    history = admin.get(base).content.decode()
    assert (
        'data-action="calendar.holidays_import"' in history
        and 'data-action="calendar.closure_add"' in history
    )

    # Management may look but not change.
    boss = login("manager")
    assert boss.get(base).status_code == 200
    assert boss.post(base + "closures/", {"date": "2026-12-02"}).status_code == 403


@pytest.mark.parametrize(
    "path", ["/governance/policies/", "/governance/policies/1/", "/governance/calendars/hotline/"]
)
def test_pages_in_english(login: Any, path: str) -> None:
    page = login("admin", lang="en").get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Service policies" in body and "Working calendars" in body  # the navigation
