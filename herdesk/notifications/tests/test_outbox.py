"""outbox_enqueue_many: one statement per batch on both databases, same rows as model instances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from herdesk.notifications.models import OutboxMessage
from herdesk.notifications.services import outbox_enqueue_many


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
