"""The periodic inbound drain (herdesk.ops.jobs "inbound-drain"): a payload that a webhook stored but
could not process — a database error left it pending — is processed exactly once by the next drain,
for every push channel (before, only email drained its backlog)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from herdesk.inbound import registry
from herdesk.inbound.models import InboundPayload
from herdesk.ops.jobs import PERIODIC_JOBS, job_by_task
from herdesk.ops.scheduler import run_periodic_tasks
from herdesk.tickets.models import Interaction, Ticket

pytestmark = pytest.mark.django_db


def _social() -> Any:
    from herdesk.social.tests.test_webhook import _event, post

    return post(_event("evt-drain"))


def _cti() -> Any:
    from herdesk.phone.tests.test_cti import _event, post

    c = Client()
    post(c, _event("ringing", call_id="call-drain", minutes_ago=6))
    return post(c, _event("ended", call_id="call-drain", minutes_ago=5))


def _wechat() -> Any:
    from herdesk.wechat.tests.test_callback import _xml, push

    return push(_xml(Content="奶粉结块了，怎么办？", msg_id="7000000000000000001"))


SENDERS: dict[str, Callable[[], Any]] = {"social": _social, "phone": _cti, "wechat": _wechat}


def _drain() -> None:
    """The next run of the periodic drain, a minute later (past the grace of a fresh payload)."""
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        run_periodic_tasks([job_by_task("herdesk.inbound_drain")])


@pytest.mark.parametrize("channel", sorted(SENDERS))
def test_a_payload_left_pending_by_a_database_error_is_processed_once_by_the_next_drain(
    reference: None, monkeypatch: pytest.MonkeyPatch, channel: str
) -> None:
    real = registry.handler_for(channel)
    assert real is not None
    calls: list[int] = []

    def flaky(payload: Any) -> Any:
        calls.append(payload.pk)
        if len(calls) == 1:
            raise OperationalError("database is locked")  # what SQLite says under a long writer
        return real(payload)

    monkeypatch.setitem(registry._HANDLERS, channel, flaky)
    tickets_before = Ticket.objects.count()

    response = SENDERS[channel]()
    assert response.status_code == 200, response.content  # stored: the sender must not resend
    pending = InboundPayload.objects.filter(channel=channel, state="pending")
    assert pending.count() == 1
    payload_id = pending.get().pk
    assert InboundPayload.objects.get(pk=payload_id).attempts == 1  # the failed try is counted

    _drain()
    payload = InboundPayload.objects.get(pk=payload_id)
    assert payload.state == "processed", payload.reason
    assert calls.count(payload_id) == 2
    after_first = (Ticket.objects.count(), Interaction.objects.count())
    if channel != "phone":  # a missed call opens its call-back task; a message opens a ticket
        assert after_first[0] == tickets_before + 1
    assert payload.ticket_id is not None or channel == "phone"

    _drain()  # and again: nothing is processed twice
    assert calls.count(payload_id) == 2
    assert (Ticket.objects.count(), Interaction.objects.count()) == after_first
    assert not InboundPayload.objects.filter(state="pending").exists()


def test_a_fresh_payload_is_left_to_the_request_that_stored_it(reference: None) -> None:
    from herdesk.inbound.services import payload_store, payloads_drain

    stored = payload_store(channel="social", source="webhook", raw=b"{}", meta={})
    assert payloads_drain() == {}  # within the grace period
    assert InboundPayload.objects.get(pk=stored.payload.pk).state == "pending"
    assert payloads_drain(now=timezone.now() + timedelta(minutes=1)) == {"quarantined": 1}


def test_one_list_of_periodic_jobs_for_the_scheduler_thread_and_celery_beat() -> None:
    from django.conf import settings

    from config.celery import app

    app.autodiscover_tasks(lambda: settings.INSTALLED_APPS, force=True)
    names = {job.name for job in PERIODIC_JOBS}
    assert {"clock-sweep", "chat-sweep", "mail-poll", "inbound-drain", "outbox-dispatch"} <= names
    assert set(settings.CELERY_BEAT_SCHEDULE) == names  # every app of the list is installed
    for job in PERIODIC_JOBS:
        assert settings.CELERY_BEAT_SCHEDULE[job.name]["task"] == job.task in app.tasks
    assert PERIODIC_JOBS[-1].name == "outbox-dispatch"  # what the others enqueued goes out at once
