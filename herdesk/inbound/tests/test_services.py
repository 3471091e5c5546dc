"""The shared inbound machinery with a stand-in channel: store raw first, exactly once, quarantine,
reprocess/discard (audited), authorised routing, sender resolution."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction

from herdesk.audit.models import AuditEntry
from herdesk.inbound import services
from herdesk.inbound.errors import Quarantine
from herdesk.inbound.messages import HandlerResult, InboundMessage
from herdesk.inbound.models import InboundPayload, SenderClaim
from herdesk.inbound.registry import handler_register
from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

CALLS: list[int] = []


def echo_handler(payload):
    """A minimal channel: JSON {"from": phone, "text": ...} → ticket or quarantine."""
    CALLS.append(payload.pk)
    data = json.loads(bytes(payload.raw))
    if data.get("boom"):
        raise RuntimeError("parser bug")
    if data.get("transient"):
        raise OperationalError("database is locked")
    if not data.get("from"):
        raise Quarantine("no_sender", "no sender")
    sender = services.sender_resolve(phone=data["from"], name=data.get("name", ""))
    routed = services.inbound_route(
        message=InboundMessage(
            channel="phone",
            interaction_kind="phone_call",
            sender=sender,
            body=data["text"],
            subject=data["text"][:20],
        ),
        candidates=Ticket.objects.filter(number__in=data.get("thread", [])),
    )
    return HandlerResult(
        outcome="ticket_created" if routed.created else "interaction_added",
        ticket=routed.ticket,
        interaction=routed.interaction,
        detail={"refused": routed.refused},
    )


@pytest.fixture(autouse=True)
def _echo_channel():
    handler_register("echo", echo_handler)
    CALLS.clear()


def _raw(**data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def store(raw: bytes, *, external_id: str = "", content_key: str | None = None):
    return services.payload_store(
        channel="echo", source="test", raw=raw, external_id=external_id, content_key=content_key
    )


def test_store_keeps_bytes_and_hash():
    raw = _raw(text="你好")
    r = store(raw, external_id="m1")
    assert r.created and not r.duplicate
    p = InboundPayload.objects.get()
    assert bytes(p.raw) == raw and p.size == len(raw) and len(p.sha256) == 64
    assert p.state == "pending" and p.dedupe_key == "id:m1"


def test_store_must_commit_on_its_own():
    """DESIGN: stored raw and COMMITTED before parsing — so never inside a caller's transaction."""
    with pytest.raises(RuntimeError), transaction.atomic():
        store(_raw(text="x"))


def test_identical_redelivery_counts_on_the_row():
    raw = _raw(text="hi")
    a, b = store(raw, external_id="m1"), store(raw, external_id="m1")
    assert a.created and not b.created and b.duplicate and a.payload.pk == b.payload.pk
    p = InboundPayload.objects.get()
    assert p.deliveries == 2 and p.duplicate_count == 1 and p.last_duplicate_at


def test_same_content_other_bytes_is_a_duplicate_row():
    store(_raw(text="hi"), external_id="m1", content_key="k")
    r = store(_raw(text="hi", relay=2), external_id="m1", content_key="k")
    assert r.created and r.duplicate and r.payload.state == "duplicate"
    assert r.payload.duplicate_of is not None and InboundPayload.objects.count() == 2


def test_same_id_other_content_is_quarantined():
    store(_raw(text="hi"), external_id="m1", content_key="k1")
    r = store(_raw(text="other"), external_id="m1", content_key="k2")
    assert r.payload.state == "quarantined" and r.payload.reason_code == "id_reused"


def test_without_id_the_content_hash_dedupes():
    a = store(_raw(text="same"))
    b = store(_raw(text="same"))
    c = store(_raw(text="different"))
    assert a.payload.pk == b.payload.pk and c.payload.pk != a.payload.pk
    assert a.payload.dedupe_key.startswith("content:")


def test_very_long_ids_are_hashed():
    r = store(_raw(text="x"), external_id="<" + "a" * 400 + "@x>")
    assert r.payload.dedupe_key.startswith("idh:") and len(r.payload.external_id) == 255


def test_store_many_is_one_commit():
    results = services.payload_store_many(
        channel="echo",
        source="test",
        items=[{"raw": _raw(text=str(i)), "external_id": f"m{i}"} for i in range(5)],
    )
    assert [r.created for r in results] == [True] * 5


def test_process_creates_ticket_exactly_once(reference):
    p = store(_raw(**{"from": "13812348000", "text": "挤奶机坏了"})).payload
    r = services.payload_process(payload_id=p.pk)
    assert r.state == "processed" and r.outcome == "ticket_created" and r.ticket_number
    again = services.payload_process(payload_id=p.pk)
    assert again.state == "processed" and again.ticket_number == r.ticket_number
    assert [p.pk] == CALLS  # the handler ran once
    assert Ticket.objects.count() == 1
    p.refresh_from_db()
    assert p.ticket.number == r.ticket_number and p.result["outcome"] == "ticket_created" and p.processed_at


def test_handler_error_quarantines_and_batch_goes_on(reference):
    ids = [
        store(_raw(**{"from": "13812348000", "text": "一"})).payload.pk,
        store(_raw(boom=True, text="二")).payload.pk,
        store(_raw(text="三")).payload.pk,
        store(_raw(**{"from": "13812348001", "text": "四"})).payload.pk,
    ]
    counts = services.payloads_process_pending(channel="echo")
    assert counts == {"processed": 2, "quarantined": 2}
    bug = InboundPayload.objects.get(pk=ids[1])
    assert bug.state == "quarantined" and bug.reason_code == "handler_error" and "parser bug" in bug.reason
    nosender = InboundPayload.objects.get(pk=ids[2])
    assert nosender.reason_code == "no_sender"
    assert Ticket.objects.count() == 2
    # The failed handler's writes were rolled back: no half-made ticket or customer.
    assert not Ticket.objects.filter(subject__startswith="二").exists()


def test_transient_errors_retry_then_quarantine(reference):
    p = store(_raw(transient=True, text="x")).payload
    for _ in range(services.MAX_TRANSIENT_ATTEMPTS - 1):
        assert services.payload_process(payload_id=p.pk).state == "pending"
    r = services.payload_process(payload_id=p.pk)
    assert r.state == "quarantined" and r.reason_code == "too_many_attempts"


def test_unknown_channel_is_quarantined():
    p = services.payload_store(channel="nochannel", source="x", raw=b"abc").payload
    r = services.payload_process(payload_id=p.pk)
    assert r.state == "quarantined" and r.reason_code == "no_handler"


def test_reprocess_and_discard_are_audited(reference, admin_user):
    p = store(_raw(text="no sender")).payload
    services.payload_process(payload_id=p.pk)
    p.refresh_from_db()
    assert p.state == "quarantined"
    with pytest.raises(ValidationError):
        services.payload_discard(payload=p, actor=admin_user, reason=" ")
    services.payload_discard(payload=p, actor=admin_user, reason="测试数据")
    p.refresh_from_db()
    assert p.state == "discarded" and bytes(p.raw)  # the bytes stay
    r = services.payload_reprocess(payload=p, actor=admin_user)
    assert r.state == "quarantined"  # still no sender
    p.refresh_from_db()
    assert [h["state"] for h in p.meta["history"]] == ["discarded"]
    actions = list(AuditEntry.objects.filter(object_type="inbound_payload").values_list("action", flat=True))
    assert actions == ["inbound.discard", "inbound.reprocess"]


def test_processed_payload_cannot_be_reprocessed(reference, admin_user):
    p = store(_raw(**{"from": "13812348000", "text": "x"})).payload
    services.payload_process(payload_id=p.pk)
    with pytest.raises(ValidationError):
        services.payload_reprocess(payload=p, actor=admin_user)


def test_payload_receive_stores_then_processes(reference):
    r = services.payload_receive(
        channel="echo", source="test", raw=_raw(**{"from": "13812348000", "text": "x"})
    )
    assert r is not None and r.state == "processed"
    assert (
        services.payload_receive(
            channel="echo", source="test", raw=_raw(**{"from": "13812348000", "text": "x"})
        )
        is None
    )


# --- senders and routing ---------------------------------------------------------------------------


def test_sender_resolve_finds_or_creates_once(customer):
    s = services.sender_resolve(email="Zhang@Example.cn")
    assert s.customer == customer and not s.created and s.contact.email == "zhang@example.cn"
    new = services.sender_resolve(email="new@farm.example.cn", name="  新 客户 ")
    assert new.created and new.customer.name == "新 客户" and new.contact.email == "new@farm.example.cn"
    assert services.sender_resolve(email="new@farm.example.cn").customer == new.customer
    assert SenderClaim.objects.count() == 1
    phone = services.sender_resolve(phone="138 1234 8000")
    assert phone.customer == customer
    wx = services.sender_resolve(wechat_openid="o-abc", name="微信用户")
    assert wx.created and services.sender_resolve(wechat_openid="o-abc").customer == wx.customer
    with pytest.raises(ValidationError):
        services.sender_resolve()
    with pytest.raises(ValidationError):
        services.sender_resolve(email="not-an-address")


def test_route_refuses_other_customers_ticket(customer, other_customer):
    from herdesk.inbound.messages import Sender
    from herdesk.tickets.services import ticket_create

    theirs = ticket_create(
        actor=None,
        customer=other_customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="李四的问题",
    )
    r = services.inbound_route(
        message=InboundMessage(
            channel="email", interaction_kind="email", sender=Sender(customer=customer), body="hi"
        ),
        candidates=[theirs],
    )
    assert r.created and r.ticket != theirs and r.refused == [theirs.number]
    assert r.ticket.subject == "hi"  # no subject: the first line of the text


def test_route_follows_merges_and_skips_cancelled(customer, staff):
    from herdesk.inbound.messages import Sender
    from herdesk.staff.models import User
    from herdesk.tickets.services import ticket_cancel, ticket_create, ticket_merge

    agent = User.objects.get(username="agent1")
    a = ticket_create(
        actor=None, customer=customer, channel="email", problem_type="product_inquiry", subject="A"
    )
    b = ticket_create(
        actor=None, customer=customer, channel="email", problem_type="product_inquiry", subject="B"
    )
    c = ticket_create(
        actor=None, customer=customer, channel="email", problem_type="product_inquiry", subject="C"
    )
    ticket_merge(ticket=a, into=b, actor=agent)
    ticket_cancel(ticket=c, actor=agent, reason="重复")
    msg = InboundMessage(
        channel="email", interaction_kind="email", sender=Sender(customer=customer), body="补充"
    )
    a.refresh_from_db()
    r = services.inbound_route(message=msg, candidates=[a])
    assert r.ticket == b and not r.created
    c.refresh_from_db()
    r2 = services.inbound_route(message=msg, candidates=[c])
    assert r2.created


def test_automatic_message_is_internal_and_does_not_reopen(customer, staff):
    from herdesk.inbound.messages import Sender
    from herdesk.tickets.services import ticket_create

    t = ticket_create(
        actor=None, customer=customer, channel="email", problem_type="product_inquiry", subject="A"
    )
    r = services.inbound_route(
        message=InboundMessage(
            channel="email",
            interaction_kind="email",
            sender=Sender(customer=customer),
            body="休假中",
            automatic=True,
        ),
        candidates=[t],
    )
    assert r.interaction.direction == "internal" and r.interaction.is_public is False


def test_long_bodies_are_cut_with_a_note(customer):
    from herdesk.inbound.messages import Sender
    from herdesk.tickets.services import MAX_TEXT

    r = services.inbound_route(
        message=InboundMessage(
            channel="email",
            interaction_kind="email",
            sender=Sender(customer=customer),
            body="长" * (MAX_TEXT + 500),
            subject="s",
        )
    )
    assert len(r.ticket.description) <= MAX_TEXT


def test_store_many_dedupes_like_one_by_one():
    """payload_store_many reads the batch's keys at once; the outcome per item must be the same as
    payload_store one by one: redelivery counted, repeats inside the batch recognised, a reused
    id with other content quarantined."""
    old = store(_raw(text="旧"), external_id="m-old").payload
    items: list[dict[str, object]] = [
        {"raw": _raw(text="旧"), "external_id": "m-old"},  # redelivery of a stored message
        {"raw": _raw(text="新"), "external_id": "m-new"},
        {"raw": _raw(text="新"), "external_id": "m-new"},  # the same again within the batch
        {"raw": _raw(text="别的"), "external_id": "m-new"},  # same id, other content
        {"raw": _raw(text="无编号")},  # no id: the content hash is the key
        {"raw": _raw(text="无编号")},
    ]
    results = services.payload_store_many(channel="echo", source="test", items=items)
    assert [(r.created, r.duplicate) for r in results] == [
        (False, True),
        (True, False),
        (False, True),
        (True, False),
        (True, False),
        (False, True),
    ]
    old.refresh_from_db()
    assert old.deliveries == 2 and old.duplicate_count == 1
    new = InboundPayload.objects.get(dedupe_key="id:m-new", duplicate_of__isnull=True)
    assert new.deliveries == 2 and new.state == "pending"
    reused = InboundPayload.objects.get(dedupe_key="id:m-new", duplicate_of=new)
    assert reused.state == "quarantined" and reused.reason_code == "id_reused"
    assert InboundPayload.objects.filter(state="pending").count() == 3  # old, m-new, no-id
