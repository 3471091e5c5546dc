"""outbox_enqueue_many: one statement per batch on both databases, same rows as model instances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from herdesk.notifications import kinds
from herdesk.notifications.models import OutboxMessage
from herdesk.notifications.services import outbox_enqueue_many


@pytest.fixture(autouse=True)
def _test_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The made-up kinds these tests queue, declared for the length of each test (kinds.py)."""
    made_up = [("sms", "t1"), ("email", "t2"), ("internal", "t3"), ("sms", "changed"), ("sms", "t4")]
    for channel, template in [*made_up, ("test", "t")]:
        kind = kinds.OutboxKind(channel, template, frozenset())
        monkeypatch.setitem(kinds._KINDS, (channel, template), kind)


@pytest.mark.django_db
def test_enqueue_many_writes_each_field_and_skips_queued_keys() -> None:
    later = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)  # microseconds survive
    shared = {"text": "您的工单已受理", "at": datetime(2026, 11, 23, 2, 0, tzinfo=UTC), "n": [1, 2]}
    before = timezone.now()
    assert (
        outbox_enqueue_many(
            [
                {"dedupe_key": "k1", "channel": "sms", "template": "t1", "payload": shared},
                {
                    "dedupe_key": "k2",
                    "channel": "email",
                    "template": "t2",
                    "payload": shared,
                    "recipient": "a@example.com",
                    "not_before": later,
                },
                {"dedupe_key": "k3", "channel": "internal", "template": "t3"},
            ]
        )
        == 3
    )
    # A retried producer: k1 already queued is skipped, k4 is new.
    outbox_enqueue_many(
        [
            {"dedupe_key": "k1", "channel": "sms", "template": "changed", "payload": {}},
            {"dedupe_key": "k4", "channel": "sms", "template": "t4", "payload": {"x": 1}},
        ]
    )
    rows = {m.dedupe_key: m for m in OutboxMessage.objects.all()}
    assert sorted(rows) == ["k1", "k2", "k3", "k4"]
    k1, k2, k3 = rows["k1"], rows["k2"], rows["k3"]
    assert (k1.channel, k1.template, k1.recipient, k1.status, k1.attempts) == ("sms", "t1", "", "pending", 0)
    assert k1.payload == k2.payload == {"text": "您的工单已受理", "at": "2026-11-23T02:00:00Z", "n": [1, 2]}
    assert k3.payload == {} and k3.ticket_id is None
    assert k2.recipient == "a@example.com" and k2.next_attempt_at == later
    assert before <= k1.next_attempt_at <= timezone.now() + timedelta(seconds=1)
    assert k1.created_at == k1.next_attempt_at


class _Recorder:
    """An outbox adapter that records what the dispatcher lets it see while it "sends"."""

    seen: list[dict] = []
    fail: set[str] = set()

    @classmethod
    def deliver(cls, message) -> None:
        from django.db import connection

        from herdesk.notifications import services

        row = OutboxMessage.objects.get(pk=message.pk)
        cls.seen.append(
            {
                "key": message.dedupe_key,
                "in_transaction": connection.in_atomic_block,
                "leased": row.next_attempt_at > timezone.now() + timedelta(seconds=60),
                "claimable_by_another": [m.pk for m in services._claim(50)],
            }
        )
        if message.dedupe_key in cls.fail:
            raise ConnectionError("provider unreachable")

    @staticmethod
    def failed(message, error: str, final: bool) -> None:
        message.payload = {**message.payload, "failed_seen": error}


@pytest.mark.django_db(transaction=True)
def test_dispatch_sends_outside_any_transaction_under_a_lease(monkeypatch) -> None:
    """A send is a network call: it must hold no transaction (on SQLite that is every process's write
    lock); the lease keeps another dispatcher off the rows meanwhile; a failure is retried later
    without stopping the batch; in-app notices are still written with their 'sent' mark."""
    from herdesk.notifications import services

    monkeypatch.setitem(services.OUTBOX_ADAPTERS, "test", f"{__name__}._Recorder")
    _Recorder.seen, _Recorder.fail = [], {"b"}
    outbox_enqueue_many(
        [
            {"dedupe_key": "a", "channel": "test", "template": "t", "payload": {}},
            {"dedupe_key": "b", "channel": "test", "template": "t", "payload": {}},
            {"dedupe_key": "c", "channel": "test", "template": "t", "payload": {}},
        ]
    )
    assert services.outbox_dispatch() == {"sent": 2, "failed": 1}
    assert [s["key"] for s in _Recorder.seen] == ["a", "b", "c"]
    assert not any(s["in_transaction"] for s in _Recorder.seen)
    assert all(s["leased"] and s["claimable_by_another"] == [] for s in _Recorder.seen)
    rows = {m.dedupe_key: m for m in OutboxMessage.objects.all()}
    assert rows["a"].status == rows["c"].status == "sent" and rows["a"].attempts == 1
    assert rows["b"].status == "pending" and rows["b"].attempts == 1
    assert "ConnectionError" in rows["b"].last_error
    assert timedelta(seconds=20) < rows["b"].next_attempt_at - timezone.now() < timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_dispatch_releases_what_it_could_not_start_within_half_the_lease(monkeypatch, settings) -> None:
    from herdesk.notifications import services

    monkeypatch.setitem(services.OUTBOX_ADAPTERS, "test", f"{__name__}._Recorder")
    settings.HERDESK_OUTBOX_LEASE_SECONDS = 0  # every send "takes too long"
    _Recorder.seen, _Recorder.fail = [], set()
    outbox_enqueue_many([{"dedupe_key": k, "channel": "test", "template": "t"} for k in "xyz"])
    assert services.outbox_dispatch() == {"sent": 0, "failed": 0}
    assert _Recorder.seen == []
    # Released at once (not left leased): the next run takes them.
    assert all(m.next_attempt_at <= timezone.now() for m in OutboxMessage.objects.all())
    settings.HERDESK_OUTBOX_LEASE_SECONDS = 600
    assert services.outbox_dispatch() == {"sent": 3, "failed": 0}


@pytest.mark.django_db(transaction=True)
def test_a_killed_dispatchers_claim_is_taken_again_when_its_lease_runs_out(monkeypatch, settings) -> None:
    """A dispatcher SIGKILLed between claim and send (the kill test of ops) must not hold its
    messages longer than the lease: 2 minutes by default, well inside the 15-minute acknowledgement."""
    from herdesk.notifications import services

    assert settings.HERDESK_OUTBOX_LEASE_SECONDS <= 120
    monkeypatch.setitem(services.OUTBOX_ADAPTERS, "test", f"{__name__}._Recorder")
    _Recorder.seen, _Recorder.fail = [], set()
    outbox_enqueue_many([{"dedupe_key": k, "channel": "test", "template": "t"} for k in "pq"])
    claimed = services._claim(200)  # ... and the process dies here
    assert len(claimed) == 2
    assert services.outbox_dispatch() == {"sent": 0, "failed": 0}  # still leased
    limit = timezone.now() + timedelta(seconds=120)
    assert all(m.next_attempt_at <= limit for m in OutboxMessage.objects.all())
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))  # lease over
    assert services.outbox_dispatch() == {"sent": 2, "failed": 0}


@pytest.mark.django_db
def test_an_undeclared_kind_or_a_missing_payload_key_is_refused_and_nothing_is_queued() -> None:
    good = {"dedupe_key": "ok", "channel": "sms", "template": "ticket_progress", "payload": {"text": "hi"}}
    with pytest.raises(kinds.OutboxKindError, match="unknown message kind 'ticket_progres'"):
        outbox_enqueue_many([good, {**good, "dedupe_key": "typo", "template": "ticket_progres"}])
    with pytest.raises(kinds.OutboxKindError, match="kind 'ticket_progress' on channel 'fax'"):
        outbox_enqueue_many([{**good, "channel": "fax"}])
    with pytest.raises(kinds.OutboxKindError, match=r"needs payload keys \['text'\]"):
        outbox_enqueue_many([{**good, "payload": {"body": "hi"}}])
    assert not OutboxMessage.objects.exists()
    assert outbox_enqueue_many([good]) == 1


def test_the_apps_declare_their_kinds_and_every_notice_can_fall_back_to_every_channel() -> None:
    declared = {(k.channel, k.template) for k in kinds.outbox_kinds()}
    # Declared by the apps above the core in their AppConfig.ready() (mail, sms, wechat, portal,
    # analytics), and by the core (customer notices on every customer channel, clock actions, digest).
    for pair in [
        ("email", "reply"),
        ("email", "oversized_notice"),
        ("email", "portal_login_link"),
        ("email", "digest"),
        ("sms", "ticket_progress"),
        ("wechat", "wechat_text"),
        ("internal", "report_ready"),
        ("action", "notify_assignee"),
        ("action", "reassign_least_loaded"),
        *[(c, t) for c in kinds.CUSTOMER_CHANNELS for t in kinds.NOTICE_TEMPLATES.values()],
    ]:
        assert pair in declared, pair
