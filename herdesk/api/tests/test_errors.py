"""Issue #14 (Trust), API findings: hostile or absurd input is a documented JSON 4xx, never a 500."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from herdesk.tickets.models import Interaction, Ticket


def _post(client, url, data, **extra):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(url, data=body, content_type="application/json", **extra)


def _new(client, customer, **over) -> str:
    r = _post(
        client,
        "/api/v1/tickets",
        {
            "customer_id": customer.pk,
            "channel": "email",
            "problem_type": "product_inquiry",
            "subject": "酸奶",
            **over,
        },
    )
    assert r.status_code == 201, r.content
    return r.json()["number"]


def _error(r, status: int) -> dict:
    assert r.status_code == status, r.content
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["code"] and body["message"] and isinstance(body["errors"], list)
    return body


def test_a_12_mb_json_body_is_a_json_413(api, customer) -> None:
    blob = json.dumps({"customer_id": customer.pk, "subject": "x", "description": "奶" * (4 * 1024 * 1024)})
    assert len(blob.encode()) > 12 * 1024 * 1024
    body = _error(_post(api(), "/api/v1/tickets", blob), 413)
    assert body["code"] == "payload_too_large"
    assert Ticket.objects.count() == 0


def test_merge_without_into_is_422(api, customer) -> None:
    c = api()
    number = _new(c, customer)
    body = _error(_post(c, f"/api/v1/tickets/{number}/merge", {}), 422)
    assert body["errors"][0]["field"] == "into"
    body = _error(_post(c, f"/api/v1/tickets/{number}/merge", {"into": "FW-20990101-9999"}), 422)
    assert body["errors"][0]["field"] == "into"


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/tickets", "ticket", "subject"),
        ("/api/v1/customers", {"name": "张\x00三"}, "name"),
        ("/api/v1/tickets/{n}/interactions", {"body": "a\x00b"}, "body"),
        ("/api/v1/tickets/{n}/cancel", {"reason": "\x00"}, "reason"),
    ],
)
def test_nul_bytes_in_text_are_422_not_500(api, customer, url, payload, field) -> None:
    c = api()
    number = _new(c, customer)
    if payload == "ticket":
        payload = {
            "customer_id": customer.pk,
            "channel": "email",
            "problem_type": "complaint",
            "subject": "坏\x00了",
        }
    body = _error(_post(c, url.format(n=number), payload), 422)
    assert field in [e["field"] for e in body["errors"]]
    assert "NUL" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/search?q=%E9%85%B8%00",
        "/api/v1/customers?q=%00",
        "/api/v1/tickets/FW%00-1",
        "/api/v1/tickets?status=%00",
    ],
)
def test_nul_bytes_in_query_and_path_are_4xx(api, customer, url) -> None:
    r = api("cs_lead").get(url)
    assert r.status_code in (404, 422), r.content
    assert r["Content-Type"].startswith("application/json")


@pytest.mark.postgres
def test_nul_bytes_on_postgresql_are_422(api, customer) -> None:
    assert connection.vendor == "postgresql"
    c = api()
    number = _new(c, customer)
    _error(_post(c, f"/api/v1/tickets/{number}/interactions", {"body": "a\x00b"}), 422)
    _error(
        _post(
            c,
            "/api/v1/tickets",
            {
                "customer_id": customer.pk,
                "channel": "email",
                "problem_type": "complaint",
                "subject": "x",
                "order_number": "\x00",
            },
        ),
        422,
    )
    assert api().get("/api/v1/search?q=a%00b").status_code == 422


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "0000-01", "9999-12", "10000-01", "2026-1"])
def test_out_of_range_month_is_4xx_in_the_api_and_on_the_page(api, staff, month) -> None:
    from django.test import Client

    body = _error(api("cs_lead").get(f"/api/v1/compliance?month={month}"), 422)
    assert body["errors"][0]["field"] == "month"
    page = Client()
    page.force_login(_user("cs_lead"))
    r = page.get(f"/supervisor/compliance/?month={month}")
    assert r.status_code == 400, month


def _user(name: str):
    from herdesk.staff.models import User

    return User.objects.get(username=name)


def test_compliance_month_in_range_is_200(api, staff) -> None:
    assert api("cs_lead").get("/api/v1/compliance?month=2026-11").status_code == 200


@pytest.mark.parametrize("cursor", [2**63, 2**64 + 7, 10**30])
def test_cursor_beyond_64_bits_is_4xx(api, customer, cursor) -> None:
    c = api("cs_lead")
    _error(c.get(f"/api/v1/search?q=酸奶&cursor={cursor}"), 422)
    _error(c.get(f"/api/v1/tickets?cursor={cursor}"), 422)
    assert c.get(f"/api/v1/search?q=酸奶&cursor={2**63 - 1}").status_code == 200


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00+00:00", "1899-01-01T00:00:00+08:00"]
)
def test_absurd_occurred_at_is_422(api, customer, when) -> None:
    c = api()
    number = _new(c, customer)
    body = _error(
        _post(c, f"/api/v1/tickets/{number}/interactions", {"body": "电话回访", "occurred_at": when}), 422
    )
    assert body["errors"][0]["field"] == "occurred_at"
    assert not Interaction.objects.filter(ticket__number=number, body="电话回访").exists()


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00+00:00"])
def test_absurd_received_at_is_422(api, customer, when) -> None:
    body = _error(
        _post(
            api(),
            "/api/v1/tickets",
            {
                "customer_id": customer.pk,
                "channel": "email",
                "problem_type": "complaint",
                "subject": "x",
                "received_at": when,
            },
        ),
        422,
    )
    assert body["errors"][0]["field"] == "received_at"


def test_huge_ids_are_4xx(api, customer) -> None:
    c = api()
    r = _post(
        c,
        "/api/v1/tickets",
        {"customer_id": 2**70, "channel": "email", "problem_type": "complaint", "subject": "x"},
    )
    assert r.status_code in (404, 422), r.content
    r = _post(c, "/api/v1/customers", {"name": "王五", "organisation_id": 2**63})
    assert r.status_code in (404, 422), r.content


def test_domain_errors_map_to_statuses_in_one_place() -> None:
    from herdesk.common.errors import DomainError, IdempotencyConflict, TransitionNotAllowed, http_status

    assert http_status(TransitionNotAllowed("x")) == 409
    assert http_status(IdempotencyConflict("x")) == 422
    assert http_status(DomainError("x", code="forbidden")) == 403
    assert http_status(DomainError("x", code="not_found")) == 404
    assert http_status(DomainError("x")) == 409
    # the old keyword still works for a code the table does not know (other branches' raises)
    assert DomainError("x", code="something_new", status=400).status == 400
    # the table wins over a legacy hint
    assert DomainError("x", code="forbidden", status=400).status == 403


def test_new_error_messages_are_in_chinese_by_default(api, customer) -> None:
    c = api()
    c.defaults.pop("HTTP_ACCEPT_LANGUAGE", None)
    number = _new(c, customer)
    body = _error(_post(c, f"/api/v1/tickets/{number}/interactions", {"body": "a\x00b"}), 422)
    assert body["errors"][0]["message"] == "文本中不能含有 NUL（0x00）字符。"
    body = _error(c.get("/api/v1/compliance?month=2026-13"), 422)  # input is checked before the role
    assert body["errors"][0]["message"] == "请按 YYYY-MM 格式填写月份。"
    body = _error(
        _post(
            c, f"/api/v1/tickets/{number}/interactions", {"body": "x", "occurred_at": "9999-01-01T00:00:00Z"}
        ),
        422,
    )
    assert body["errors"][0]["message"] == "该时间在未来。"
