"""Structured logs (OPS-3): JSON lines with request id, user id and ticket number, no personal data."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from django.test import Client, RequestFactory

from herdesk.common.logs import log_context, redact
from herdesk.ops.middleware import RequestContextMiddleware


@pytest.fixture
def json_log() -> Any:
    """The production formatter and filter (config/settings/base.py LOGGING) writing to a buffer."""
    from django.utils.module_loading import import_string

    from config.settings import base

    spec = dict(base.LOGGING["formatters"]["json"])
    formatter = import_string(spec.pop("()"))(**spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    for name in base.LOGGING["handlers"]["console"]["filters"]:  # the request context, personal data masked
        handler.addFilter(import_string(base.LOGGING["filters"][name]["()"])())
    log = logging.getLogger("herdesk.test.logs")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    log.removeHandler(handler)


def test_personal_data_is_masked() -> None:
    assert redact("call +86 138 1234 8000 or 13912345678") == "call 138****8000 or 139****5678"
    assert redact("from zhang.san@farm.example.cn") == "from ***@farm.example.cn"
    assert redact("FW-20261124-0001 at 2026-11-24 10:00") == "FW-20261124-0001 at 2026-11-24 10:00"


def test_a_request_logs_json_with_its_request_id_user_and_ticket(json_log: Any, staff: Any) -> None:
    log = logging.getLogger("herdesk.test.logs")
    rf = RequestFactory()
    request = rf.get("/tickets/FW-20261124-0007/", HTTP_X_REQUEST_ID="req-42")
    request.user = staff["agent1"]

    def view(req: Any) -> Any:
        from django.http import HttpResponse

        log.info("customer %s called from %s", "13812348000", "zhang@example.cn")
        return HttpResponse("ok")

    mw = RequestContextMiddleware(
        lambda req: (mw.process_view(req, view, (), {"number": "FW-20261124-0007"}), view(req))[1]
    )
    response = mw(request)
    assert response["X-Request-ID"] == "req-42"
    (record,) = json_log()
    assert record["request_id"] == "req-42"
    assert record["user"] == str(staff["agent1"].pk)  # the id, never the name
    assert record["ticket"] == "FW-20261124-0007"
    assert record["level"] == "INFO" and record["logger"] == "herdesk.test.logs"
    assert "13812348000" not in record["message"] and "138****8000" in record["message"]
    assert "zhang@" not in record["message"]
    log.info("after the request")
    assert json_log()[-1]["request_id"] == "" and json_log()[-1]["ticket"] == ""


def test_outside_a_request_the_context_is_set_by_hand(json_log: Any) -> None:
    with log_context(ticket="FW-20261124-0009"):
        logging.getLogger("herdesk.test.logs").warning("breach recorded")
    assert json_log()[-1]["ticket"] == "FW-20261124-0009"


@pytest.mark.django_db
def test_every_response_carries_a_request_id() -> None:
    r = Client().get("/healthz")
    assert len(r["X-Request-ID"]) == 32
    assert (
        Client().get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
        != "bad id with spaces"
    )
