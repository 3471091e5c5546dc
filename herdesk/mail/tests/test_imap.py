"""IMAP polling against a real Dovecot: store raw and commit, THEN flag; exactly once across
redelivery and crashes at every step (kill-mid-ingest)."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from herdesk.inbound.models import InboundPayload, InboundSource
from herdesk.mail import services
from herdesk.mail.tests.conftest import make_mail
from herdesk.tickets.models import Interaction, Ticket

from .corpus import messages

pytestmark = pytest.mark.django_db


def _unseen(dovecot, folder: str) -> int:
    with dovecot.client() as c:
        c.folder.set(folder)
        return len(c.uids("UNSEEN"))


def _all(dovecot, folder: str) -> int:
    with dovecot.client() as c:
        c.folder.set(folder)
        return len(c.uids("ALL"))


def test_poll_creates_tickets_and_flags_seen(dovecot, imap_mailbox, imap_append):
    folder = imap_mailbox.test_folder
    for i in range(3):
        imap_append(folder, make_mail(sender=f"farmer{i}@farm.example.cn", subject=f"问题 {i}"))
    imap_append(folder, make_mail(subject="已读的旧邮件"), flags=(r"\Seen",))
    r = services.mail_poll(mailbox=imap_mailbox)
    assert (r.fetched, r.stored, r.errors) == (3, 3, [])
    assert r.processed == {"processed": 3}
    assert Ticket.objects.count() == 3
    assert set(Ticket.objects.values_list("subject", flat=True)) == {"问题 0", "问题 1", "问题 2"}
    assert _unseen(dovecot, folder) == 0 and _all(dovecot, folder) == 4
    src = InboundSource.objects.get(channel="email", code="support")
    assert src.last_success_at is not None and src.consecutive_failures == 0 and src.fetched_total == 3
    # Nothing new: a second poll fetches nothing.
    assert services.mail_poll(mailbox=imap_mailbox).fetched == 0


def test_redelivered_message_creates_nothing_twice(dovecot, imap_mailbox, imap_append):
    raw = make_mail()
    imap_append(imap_mailbox.test_folder, raw)
    services.mail_poll(mailbox=imap_mailbox)
    imap_append(imap_mailbox.test_folder, raw)  # the server offers the same message again
    r = services.mail_poll(mailbox=imap_mailbox)
    assert r.fetched == 1 and r.stored == 0 and r.duplicates == 1
    assert Ticket.objects.count() == 1
    p = InboundPayload.objects.get()
    assert p.deliveries == 2 and p.duplicate_count == 1


def test_crash_after_commit_before_flag(dovecot, imap_mailbox, imap_append, monkeypatch):
    """Killed between the store's commit and the IMAP flag: the message is offered again and
    recognised; after the restart there is exactly one ticket."""
    from herdesk.mail import imap

    imap_append(imap_mailbox.test_folder, make_mail())

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed after commit, before flagging")

    monkeypatch.setattr(imap, "_after", crash)
    with pytest.raises(KeyboardInterrupt):
        services.mail_poll(mailbox=imap_mailbox)
    assert InboundPayload.objects.count() == 1  # stored and committed
    assert InboundPayload.objects.get().state == "pending" and not Ticket.objects.exists()
    assert _unseen(dovecot, imap_mailbox.test_folder) == 1  # never flagged
    monkeypatch.undo()
    r = services.mail_poll(mailbox=imap_mailbox)  # the restart
    assert r.duplicates == 1
    assert Ticket.objects.count() == 1 and InboundPayload.objects.count() == 1
    assert InboundPayload.objects.get().state == "processed"
    assert _unseen(dovecot, imap_mailbox.test_folder) == 0


def test_crash_before_commit(dovecot, imap_mailbox, imap_append, monkeypatch):
    """Killed before the store committed: nothing stored, nothing flagged; the restart stores it."""
    from herdesk.inbound import services as inbound

    imap_append(imap_mailbox.test_folder, make_mail())

    def crash(**kwargs):
        raise KeyboardInterrupt("killed before commit")

    monkeypatch.setattr(inbound, "payload_store_many", crash)
    with pytest.raises(KeyboardInterrupt):
        services.mail_poll(mailbox=imap_mailbox)
    assert InboundPayload.objects.count() == 0
    assert _unseen(dovecot, imap_mailbox.test_folder) == 1
    monkeypatch.undo()
    services.mail_poll(mailbox=imap_mailbox)
    assert Ticket.objects.count() == 1 and InboundPayload.objects.count() == 1


def test_crash_while_processing(dovecot, imap_mailbox, imap_append, monkeypatch):
    """Killed in the middle of processing (after the ticket insert, before the commit): the
    transaction rolls back, the payload stays pending, the next run makes exactly one ticket."""
    from herdesk.tickets import services as tickets

    imap_append(imap_mailbox.test_folder, make_mail())
    real = tickets.ticket_create_detailed  # what inbound_route calls

    def create_then_die(**kwargs):
        real(**kwargs)
        raise SystemExit("killed mid-transaction")

    monkeypatch.setattr(tickets, "ticket_create_detailed", create_then_die)
    with pytest.raises(SystemExit):
        services.mail_poll(mailbox=imap_mailbox)
    assert Ticket.objects.count() == 0
    assert InboundPayload.objects.get().state == "pending"
    assert _unseen(dovecot, imap_mailbox.test_folder) == 0  # stored, so it was flagged
    monkeypatch.undo()
    r = services.mail_poll(mailbox=imap_mailbox)
    assert r.fetched == 0 and r.processed == {"processed": 1}
    assert Ticket.objects.count() == 1


def test_a_failing_message_does_not_stop_the_batch(dovecot, imap_mailbox, imap_append):
    folder = imap_mailbox.test_folder
    imap_append(folder, make_mail(sender="a@farm.example.cn", subject="一"))
    imap_append(folder, b"To: support@herdesk.example.cn\r\nSubject: no sender\r\n\r\nx\r\n")
    imap_append(folder, make_mail(sender="b@farm.example.cn", subject="二"))
    r = services.mail_poll(mailbox=imap_mailbox)
    assert r.processed == {"processed": 2, "quarantined": 1}
    assert Ticket.objects.count() == 2
    q = InboundPayload.objects.get(state="quarantined")
    assert q.reason_code == "no_sender"
    assert _unseen(dovecot, folder) == 0  # stored, so flagged: the quarantine has it


@pytest.mark.parametrize("mode", ["move", "delete"])
def test_move_or_delete_after_fetch(dovecot, imap_mailbox, imap_append, mode):
    from herdesk.mail.services import mailbox_update

    folder = imap_mailbox.test_folder
    done = f"{folder}done"
    if mode == "move":
        with dovecot.client() as c:
            c.folder.create(done)
    mb = mailbox_update(mailbox=imap_mailbox, after_fetch=mode, move_to=done if mode == "move" else "")
    imap_append(folder, make_mail())
    services.mail_poll(mailbox=mb)
    assert Ticket.objects.count() == 1
    assert _all(dovecot, folder) == 0
    if mode == "move":
        assert _all(dovecot, done) == 1


def test_wrong_password_is_reported_in_health(dovecot, imap_mailbox):
    from herdesk.inbound.selectors import channel_health
    from herdesk.mail.services import mailbox_update

    mb = mailbox_update(mailbox=imap_mailbox, imap_password="wrong")
    for _ in range(3):
        r = services.mail_poll(mailbox=mb)
        assert r.errors and r.fetched == 0
    row = next(s for s in channel_health()["sources"] if s["source"] == "support")
    assert row["status"] == "failing" and row["consecutive_failures"] == 3 and row["last_error"]


def test_poll_all_respects_the_interval(dovecot, imap_mailbox, imap_append):
    imap_append(imap_mailbox.test_folder, make_mail())
    assert services.mail_poll_all()["support"]["fetched"] == 1
    imap_append(imap_mailbox.test_folder, make_mail(subject="第二封"))
    assert "support" not in services.mail_poll_all()  # polled a moment ago
    assert services.mail_poll_all(force=True)["support"]["fetched"] == 1


def test_corpus_subset_through_imap(dovecot, imap_mailbox, imap_append):
    """Real-world mail through a real IMAP server: every message is stored (count of stored raw
    messages equals the count delivered) and becomes a ticket or lands in quarantine."""
    files = messages()[::8]  # every 8th message of each corpus: 47 messages
    for path in files:
        imap_append(imap_mailbox.test_folder, path.read_bytes())
    r = services.mail_poll(mailbox=imap_mailbox, limit=500)
    assert r.fetched == len(files) and not r.errors
    rows = InboundPayload.objects.filter(channel="email")
    assert rows.aggregate(n=Sum("deliveries"))["n"] == len(files)
    assert not rows.filter(state="pending").exists()
    for p in rows:
        assert p.state in ("processed", "quarantined", "duplicate")
        if p.state == "quarantined":
            assert p.reason_code and p.reason
        if p.state == "processed":
            assert p.ticket_id
    assert Ticket.objects.exists() and Interaction.objects.exists()
    assert _unseen(dovecot, imap_mailbox.test_folder) == 0
