"""Ops: /metrics format and numbers, /readyz, the replica router, Celery wiring, commands (OPS-2/3)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone

from herdesk.clocks.models import Clock, SweepRun
from herdesk.common.dbrouter import AnalyticsReplicaRouter, analytics_reads
from herdesk.ops import metrics, selectors


@pytest.fixture(autouse=True)
def _fresh_histogram() -> Any:
    metrics.reset()
    yield
    metrics.reset()


def _ticket(staff: dict[str, Any], customer: Any, minutes_ago: int = 0) -> Any:
    from herdesk.tickets.services import ticket_create

    now = timezone.now()
    return ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="挤奶机压力异常",
        received_at=now - timedelta(minutes=minutes_ago),
        now=now,
    )


def _parse(text: str) -> dict[str, float]:
    """name{labels} -> value for every sample line; labels sorted by name, whatever their order."""
    import re

    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            if "{" in key:
                name, labels = key[:-1].split("{", 1)
                parts = sorted(re.findall(r'[a-z_]+="(?:[^"\\]|\\.)*"', labels))
                key = name + "{" + ",".join(parts) + "}"
            out[key] = float(value)
    return out


# --- metrics -------------------------------------------------------------------------------------
def test_histogram_renders_cumulative_buckets_in_prometheus_text_format() -> None:
    for seconds in (0.001, 0.02, 0.02, 0.7, 30):
        metrics.observe("GET", "/api/v1/tickets", 200, seconds)
    metrics.observe("POST", "/api/v1/tickets", 422, 0.01)
    text = metrics.exposition([metrics.Gauge("x_gauge", "help", 3)], multiproc_dir="").decode()
    lines = text.splitlines()
    assert "# TYPE herdesk_http_request_duration_seconds histogram" in lines
    assert "# TYPE x_gauge gauge" in lines and "x_gauge 3.0" in lines
    s = _parse(text)
    base = 'method="GET",route="/api/v1/tickets",status="2xx"'
    name = "herdesk_http_request_duration_seconds"
    assert s[f'{name}_bucket{{le="0.005",{base}}}'] == 1
    assert s[f'{name}_bucket{{le="0.025",{base}}}'] == 3
    assert s[f'{name}_bucket{{le="1.0",{base}}}'] == 4
    assert s[f'{name}_bucket{{le="+Inf",{base}}}'] == 5 == s[f"{name}_count{{{base}}}"]
    assert math.isclose(s[f"{name}_sum{{{base}}}"], 30.741)
    assert s[f'{name}_count{{method="POST",route="/api/v1/tickets",status="4xx"}}'] == 1
    assert text.endswith("\n")


def test_label_values_are_escaped() -> None:
    text = metrics.exposition([metrics.Gauge("g", "h", 1, {"path": 'a"b\\c\nd'})], multiproc_dir="")
    assert 'g{path="a\\"b\\\\c\\nd"} 1.0' in text.decode()


def test_unknown_gauges_are_left_out_not_reported_as_zero() -> None:
    assert b"g_none" not in metrics.exposition([metrics.Gauge("g_none", "h", None)], multiproc_dir="")


_WORKER = """
import sys
from herdesk.ops import metrics
for seconds in sys.argv[1:]:
    metrics.observe("GET", "/api/v1/tickets", 200, float(seconds))
"""


def test_the_worker_processes_of_one_instance_are_one_scrape_target(tmp_path: Any) -> None:
    """`serve --workers N`: each worker writes its own file; a scrape of any worker adds them up."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path), "PYTHONPATH": str(settings.BASE_DIR)}
    for values in (["0.01", "0.2"], ["3.0"]):  # two worker processes
        subprocess.run([sys.executable, "-c", _WORKER, *values], env=env, check=True, timeout=60)
    assert len(list(tmp_path.glob("*.db"))) >= 2
    metrics.observe("GET", "/api/v1/tickets", 200, 9.0)  # this process is not a worker of that instance
    s = _parse(metrics.exposition([], multiproc_dir=str(tmp_path)).decode())
    base = 'method="GET",route="/api/v1/tickets",status="2xx"'
    assert s[f"herdesk_http_request_duration_seconds_count{{{base}}}"] == 3
    assert math.isclose(s[f"herdesk_http_request_duration_seconds_sum{{{base}}}"], 3.21)
    metrics.multiprocess_prepare(str(tmp_path))  # a restart starts from empty files
    assert not list(tmp_path.glob("*.db"))


@pytest.mark.django_db
def test_metrics_endpoint_reports_backlog_sweep_and_request_latency(
    staff: Any, customer: Any, api: Any
) -> None:
    _ticket(staff, customer, minutes_ago=14 * 24 * 60)  # due whatever the hour: not yet swept
    client = api()
    assert client.get("/api/v1/tickets").status_code == 200
    resp = Client().get("/metrics")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/plain; version=")
    s = _parse(resp.content.decode())
    assert s["herdesk_clock_backlog"] >= 1
    assert "herdesk_clock_sweep_duration_seconds" not in s  # no sweep has run: unknown, not 0
    assert (
        s['herdesk_http_request_duration_seconds_count{method="GET",route="/api/v1/tickets",status="2xx"}']
        == 1
    )
    assert not any("metrics" in k or "healthz" in k for k in s if k.startswith("herdesk_http"))

    from herdesk.clocks.services import clock_sweep

    result = clock_sweep()
    assert result.breaches >= 1
    s = _parse(Client().get("/metrics").content.decode())
    assert s["herdesk_clock_backlog"] == 0
    assert s["herdesk_clock_sweep_last_breaches"] == result.breaches
    assert s["herdesk_clock_sweep_age_seconds"] < 60
    assert s["herdesk_outbox_backlog"] >= 1  # the breach actions wait for the dispatcher


@pytest.mark.django_db
@override_settings(HERDESK_METRICS_TOKEN="s3cret")
def test_metrics_token_is_required_when_configured() -> None:
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


# --- readiness ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_readyz_is_ready_but_degraded_before_the_first_sweep_and_ok_after() -> None:
    body = Client().get("/readyz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "skipped"
    assert body["checks"]["scheduler"]["status"] == "degraded"
    from herdesk.clocks.services import clock_sweep

    clock_sweep()
    resp = Client().get("/readyz")
    assert resp.status_code == 200 and resp.json()["status"] == "ok", resp.json()


@pytest.mark.django_db
def test_readyz_reports_a_late_scheduler_and_an_old_outbox_without_failing(staff: Any, customer: Any) -> None:
    from herdesk.notifications.services import outbox_enqueue_many

    long_ago = timezone.now() - timedelta(hours=2)
    SweepRun.objects.create(started_at=long_ago, finished_at=long_ago)
    ticket = _ticket(staff, customer)
    outbox_enqueue_many(
        [
            {
                "dedupe_key": "t1",
                "channel": "action",
                "template": "notify_assignee",
                "ticket_id": ticket.pk,
                "not_before": long_ago,
            }
        ]
    )
    resp = Client().get("/readyz")
    body = resp.json()
    assert resp.status_code == 200 and body["status"] == "degraded"
    assert (
        body["checks"]["scheduler"]["status"] == "degraded" and "ago" in body["checks"]["scheduler"]["detail"]
    )
    assert body["checks"]["outbox"]["status"] == "degraded"


@pytest.mark.django_db
def test_readyz_fails_when_the_database_is_unreachable(monkeypatch: Any) -> None:
    monkeypatch.setattr(
        selectors, "check_database", lambda alias="default": selectors.Check("fail", "OperationalError")
    )
    resp = Client().get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["status"] == "fail"


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_readyz_fails_when_redis_is_configured_but_unreachable() -> None:
    resp = Client().get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["checks"]["redis"]["status"] == "fail"


# --- replica router ------------------------------------------------------------------------------
def test_router_reads_analytics_from_the_replica_only_when_one_is_configured(monkeypatch: Any) -> None:
    from herdesk.common import dbrouter

    router = AnalyticsReplicaRouter()
    assert router.db_for_read(Clock) is None
    assert router.db_for_read(Clock, analytics=True) is None  # no replica configured
    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    assert router.db_for_read(Clock) is None  # ordinary reads stay on the primary
    assert router.db_for_read(Clock, analytics=True) == "replica"
    with analytics_reads():
        assert router.db_for_read(Clock) == "replica"
    assert router.db_for_read(Clock) is None
    assert router.db_for_write(Clock) == "default"
    assert router.allow_migrate("replica", "clocks") is False
    assert router.allow_migrate("default", "clocks") is True


def test_replica_middleware_removes_itself_without_a_replica() -> None:
    from django.core.exceptions import MiddlewareNotUsed

    from herdesk.ops.middleware import ReplicaRoutingMiddleware

    with pytest.raises(MiddlewareNotUsed):
        ReplicaRoutingMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]


def test_replica_middleware_routes_report_paths_only(monkeypatch: Any) -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from herdesk.ops.middleware import ReplicaRoutingMiddleware

    seen = []

    def view(request: Any) -> HttpResponse:
        seen.append(AnalyticsReplicaRouter().db_for_read(Clock))
        return HttpResponse()

    from herdesk.common import dbrouter

    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    with override_settings(HERDESK_REPLICA_PATHS=["/api/v1/compliance"]):
        mw = ReplicaRoutingMiddleware(view)
        rf = RequestFactory()
        mw(rf.get("/api/v1/compliance?month=2026-11"))
        mw(rf.get("/api/v1/tickets"))
        mw(rf.post("/api/v1/compliance"))
    assert seen == ["replica", None, None]


# --- Celery, worker, beat, serve ---------------------------------------------------------------------
def test_beat_schedule_points_at_registered_tasks() -> None:
    from django.conf import settings

    from config.celery import app

    app.autodiscover_tasks(lambda: settings.INSTALLED_APPS, force=True)  # what a worker does at start
    names = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"herdesk.clock_sweep", "herdesk.outbox_dispatch"} <= names
    assert names <= set(app.tasks)
    assert settings.CELERY_BEAT_SCHEDULE["clock-sweep"]["options"]["expires"] > 0


@pytest.mark.django_db
def test_tasks_run_the_same_services_as_the_embedded_scheduler(staff: Any, customer: Any) -> None:
    from herdesk.ops import tasks

    _ticket(staff, customer, minutes_ago=14 * 24 * 60)  # due whatever the hour
    swept = tasks.clock_sweep.run()
    assert swept["breaches"] >= 1
    sent = tasks.outbox_dispatch.run()
    assert sent["sent"] >= 1 and sent["failed"] == 0
    assert SweepRun.objects.count() == 1


def test_mail_poll_task_is_a_no_op_until_the_email_app_exists(monkeypatch: Any) -> None:
    from herdesk.ops import tasks

    calls = []
    monkeypatch.setattr(tasks, "mail_poll_function", lambda: None)
    assert tasks.mail_poll_all.run() is None
    monkeypatch.setattr(tasks, "mail_poll_function", lambda: lambda: calls.append(1) or {"fetched": 0})
    assert tasks.mail_poll_all.run() == {"fetched": 0} and calls == [1]


def test_worker_and_beat_refuse_the_in_memory_broker() -> None:
    for command in ("worker", "beat"):
        with pytest.raises(CommandError, match="REDIS_URL"):
            call_command(command)


def test_worker_arguments() -> None:
    from herdesk.ops.management.commands.worker import Command

    argv = Command().argv({"name": "w1@h", "loglevel": "INFO", "concurrency": 3, "pool": "solo"})
    assert (
        argv[0] == "worker"
        and "--concurrency=3" in argv
        and "--hostname=w1@h" in argv
        and "--pool=solo" in argv
    )


def test_serve_refuses_zero_workers() -> None:
    with pytest.raises(CommandError):
        call_command("serve", "--workers", "0")
