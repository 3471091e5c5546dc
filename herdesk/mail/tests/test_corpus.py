"""Every message of the real-world corpora becomes a ticket or interaction, or lands in quarantine
with a reason; the raw bytes of every delivery are stored; redelivery creates nothing twice."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Sum

from herdesk.inbound.models import InboundPayload
from herdesk.tickets.models import Interaction, Ticket

from .corpus import messages

pytestmark = pytest.mark.django_db

DONE = {"ticket_created", "interaction_added", "already_on_ticket", "bounce_attached"}


def test_corpus_size():
    assert len(messages()) == 374


@pytest.mark.slow  # ~10 s on an idle machine, ~30 s under load: 374 messages in, then all again
def test_every_corpus_message_is_a_ticket_or_quarantined(deliver):
    files = messages()
    outcomes: Counter[str] = Counter()
    for path in files:
        r = deliver(path.read_bytes())
        if r.state == "processed":
            assert r.outcome in DONE and r.ticket_number, path
            outcomes[r.outcome] += 1
        elif r.state == "quarantined":
            assert r.reason_code, path
            outcomes[f"quarantined:{r.reason_code}"] += 1
        else:
            # Another delivery of a message already stored: points at it, which was handled.
            assert r.state == "duplicate", (path, r)
            first = InboundPayload.objects.get(pk=r.stored.payload.duplicate_of_id)
            assert first.state in ("processed", "quarantined"), path
            outcomes["duplicate"] += 1
    rows = InboundPayload.objects.filter(channel="email")
    # Nothing lost: every delivery is stored (byte-identical files share one row and count on it).
    assert rows.aggregate(n=Sum("deliveries"))["n"] == len(files)
    assert rows.count() == len({p.read_bytes() for p in files})
    for p in rows.filter(state="quarantined"):
        assert p.reason_code and p.reason
    assert not rows.filter(state="pending").exists()
    assert outcomes["ticket_created"] > 250, outcomes
    tickets, interactions = Ticket.objects.count(), Interaction.objects.count()

    # Redelivering the whole corpus creates nothing.
    for path in files:
        deliver(path.read_bytes())
    assert Ticket.objects.count() == tickets and Interaction.objects.count() == interactions
    assert rows.aggregate(n=Sum("deliveries"))["n"] == 2 * len(files)
    assert rows.count() == len({p.read_bytes() for p in files})
