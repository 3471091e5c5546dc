"""Customer chat messages go through herdesk.inbound: stored raw first, exactly once, quarantined
(raw kept) when they cannot become a message."""

from __future__ import annotations

import json

from herdesk.chat import ingest
from herdesk.chat import services as cs
from herdesk.chat.models import ChatMessage
from herdesk.inbound.models import InboundPayload


def _frame(client_id: str, body: object) -> tuple[str, dict]:
    frame = {"type": "message", "client_id": client_id, "body": body}
    return json.dumps(frame, ensure_ascii=False), frame


def _open():
    return cs.conversation_open(name="王五", phone="13700001234")


def test_a_message_is_stored_raw_then_acknowledged_exactly_once(reference):
    conv = _open()
    raw, frame = _frame("m-1", "奶源在哪里？")
    answer = ingest.chat_message_receive(conversation=conv, raw=raw, frame=frame)
    assert answer == {"type": "ack", "client_id": "m-1", "seq": 1, "duplicate": False}
    payload = InboundPayload.objects.get(channel="chat")
    assert bytes(payload.raw).decode() == raw
    assert payload.state == "processed" and payload.external_id == f"{conv.public_id}:m-1"
    assert payload.result["seq"] == 1
    # The same message again (lost acknowledgement), even formatted differently: nothing new.
    raw2 = json.dumps({"body": "奶源在哪里？", "client_id": "m-1", "type": "message"})
    again = ingest.chat_message_receive(conversation=conv, raw=raw2, frame=json.loads(raw2))
    assert again == {"type": "ack", "client_id": "m-1", "seq": 1, "duplicate": True}
    assert ChatMessage.objects.count() == 1
    assert InboundPayload.objects.filter(channel="chat", duplicate_of__isnull=True).count() == 1


def test_a_refused_message_is_quarantined_with_its_raw_text(reference):
    conv = _open()
    raw, frame = _frame("m-long", "长" * 2001)
    answer = ingest.chat_message_receive(conversation=conv, raw=raw, frame=frame)
    assert (
        answer["type"] == "error" and answer["code"] == "validation_error" and answer["client_id"] == "m-long"
    )
    assert answer["errors"][0]["field"] == "body"
    payload = InboundPayload.objects.get(channel="chat")
    assert payload.state == "quarantined" and payload.reason_code == "parse_error"
    assert bytes(payload.raw).decode() == raw  # never lost: an admin can read and reprocess it
    assert not ChatMessage.objects.exists()


def test_writing_into_a_closed_conversation_is_kept_and_refused(reference):
    conv = _open()
    cs.conversation_close(conversation_pk=conv.pk)
    raw, frame = _frame("late", "还在吗")
    answer = ingest.chat_message_receive(conversation=conv, raw=raw, frame=frame)
    assert answer["code"] == "chat_closed"
    assert InboundPayload.objects.get(channel="chat").state == "quarantined"


def test_message_taking_mode_reports_the_ticket_on_the_payload(reference, settings):
    settings.HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS = 0
    conv = _open()
    raw, frame = _frame("m-1", "请回电 13700001234")
    ingest.chat_message_receive(conversation=conv, raw=raw, frame=frame)
    payload = InboundPayload.objects.get(channel="chat")
    conv.refresh_from_db()
    assert payload.result["outcome"] == "ticket_created" and payload.ticket == conv.ticket
    raw, frame = _frame("m-2", "补充说明")
    ingest.chat_message_receive(conversation=conv, raw=raw, frame=frame)
    second = InboundPayload.objects.filter(channel="chat").order_by("-id").first()
    assert second.result["outcome"] == "interaction_added" and second.ticket == conv.ticket


def test_oversized_frames_keep_their_beginning_in_quarantine(reference, settings):
    settings.HERDESK_WEBHOOK_MAX_BYTES = 1000
    conv = _open()
    ingest.oversized_frame_store(conversation=conv, raw="x" * 50_000)
    payload = InboundPayload.objects.get(channel="chat")
    assert (
        payload.size == 1000 and payload.state == "quarantined" and payload.meta["declared_length"] == 50_000
    )


def test_a_storage_failure_is_never_acknowledged(reference, monkeypatch):
    import herdesk.inbound.services as inbound

    def down(**kwargs):
        raise inbound.OperationalError("database is locked")

    monkeypatch.setattr(inbound, "payload_store", down)
    conv = _open()
    raw, frame = _frame("m-1", "你好")
    answer = ingest.chat_message_receive(conversation=conv, raw=raw, frame=frame)
    assert answer["type"] == "error" and answer["code"] == "try_again" and answer["client_id"] == "m-1"
    assert not ChatMessage.objects.exists()
