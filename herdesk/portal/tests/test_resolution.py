"""Choosing an option (HND-3), confirming or disputing a resolution (CLS-1), and the clocks they move."""

from __future__ import annotations

from django.urls import reverse

from herdesk.clocks.models import Clock
from herdesk.tickets.models import Interaction


def _clocks(ticket, kind):
    return list(Clock.objects.filter(ticket=ticket, kind=kind).order_by("cycle"))


def test_detail_offers_the_options_and_choosing_one_records_it(portal_client, submit, agent_flow) -> None:
    ticket = agent_flow.offer(submit())
    url = reverse("portal:ticket", args=[ticket.number])
    page = portal_client.get(url).content.decode()
    assert "Please choose a solution" in page and "工程师上门检修" in page and "上门费 200 元" in page
    r = portal_client.post(reverse("portal:ticket_choose", args=[ticket.number]), {"position": "2"})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.solution_stage == "option_chosen"
    assert (
        ticket.options.get(position=2).chosen_at is not None
        and ticket.options.get(position=1).chosen_at is None
    )
    event = Interaction.objects.filter(ticket=ticket, is_public=True, kind="system_event").latest("id")
    assert event.body == "Chose option 2: 工程师上门检修" and event.author.customer_id == ticket.customer_id
    page = portal_client.get(url).content.decode()
    assert "Your choice" in page and "Please choose a solution" not in page
    again = portal_client.post(reverse("portal:ticket_choose", args=[ticket.number]), {"position": "1"})
    assert again.status_code == 400 and "no offered option" in again.content.decode()


def test_choosing_an_option_that_does_not_exist_is_400(portal_client, submit, agent_flow) -> None:
    ticket = agent_flow.offer(submit())
    r = portal_client.post(reverse("portal:ticket_choose", args=[ticket.number]), {"position": "3"})
    assert r.status_code == 400
    r = portal_client.post(reverse("portal:ticket_choose", args=[ticket.number]), {"position": "x"})
    assert r.status_code == 400 and "Choose one of the options." in r.content.decode()


def test_confirm_closes_the_ticket_and_moves_the_clocks(portal_client, submit, agent_flow) -> None:
    ticket = agent_flow.resolve(agent_flow.offer(submit()))
    assert _clocks(ticket, "resolution")[-1].state == "met"
    assert _clocks(ticket, "follow_up")[-1].state == "running"
    page = portal_client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    assert "Is your problem solved?" in page and "已更换密封圈" in page
    r = portal_client.post(reverse("portal:ticket_confirm", args=[ticket.number]))
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at is not None
    from herdesk.audit.models import AuditEntry

    closing = AuditEntry.objects.filter(action="ticket.transition", object_id=ticket.number).latest("seq")
    assert closing.data["to"] == "closed" and closing.data["reason"] == "customer_confirmed"
    assert closing.actor_id == ticket.created_by_id
    assert [c.state for c in _clocks(ticket, "record_finalize")] == ["running"]  # CLS-3 starts on close
    assert _clocks(ticket, "follow_up")[-1].state == "running"  # the follow-up call still has to happen
    again = portal_client.post(reverse("portal:ticket_confirm", args=[ticket.number]))
    assert again.status_code == 409 and "Only a resolved request can be confirmed." in again.content.decode()


def test_dispute_reopens_with_the_reason_and_starts_a_new_resolution_cycle(
    portal_client, submit, agent_flow
) -> None:
    ticket = agent_flow.resolve(agent_flow.offer(submit()))
    empty = portal_client.post(reverse("portal:ticket_dispute", args=[ticket.number]), {"reason": ""})
    assert empty.status_code == 400 and "Tell us what is still wrong." in empty.content.decode()
    r = portal_client.post(reverse("portal:ticket_dispute", args=[ticket.number]), {"reason": "压力还是偏低"})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.reopen_count == 1 and ticket.resolved_at is None
    resolution = _clocks(ticket, "resolution")
    assert [(c.cycle, c.state) for c in resolution] == [(1, "met"), (2, "running")]
    assert _clocks(ticket, "follow_up")[-1].state == "cancelled"  # no follow-up for an unsolved problem
    msg = Interaction.objects.filter(ticket=ticket, direction="inbound").latest("id")
    assert msg.body == "压力还是偏低" and msg.is_public and msg.data == {"dispute": True}
    page = portal_client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    assert "压力还是偏低" in page and "Not solved:" in page and "Is your problem solved?" not in page
    # Resolved again, then confirmed: closes normally.
    agent_flow.resolve(ticket, summary="更换真空泵后压力正常")
    assert portal_client.post(reverse("portal:ticket_confirm", args=[ticket.number])).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed" and [c.state for c in _clocks(ticket, "resolution")] == ["met", "met"]


def test_dispute_before_resolution_is_refused(portal_client, submit) -> None:
    ticket = submit()
    r = portal_client.post(reverse("portal:ticket_dispute", args=[ticket.number]), {"reason": "没修好"})
    assert r.status_code == 409 and "Only a resolved request can be disputed." in r.content.decode()
