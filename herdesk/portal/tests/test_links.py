"""Signed single-use links in emails (HND-3, CLS-1): choose an option or confirm/dispute a
resolution without signing in; reused, expired and tampered links get a clear 4xx page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from herdesk.audit.models import AuditEntry
from herdesk.clocks.models import Clock
from herdesk.portal import services as ps
from herdesk.portal.errors import LinkError
from herdesk.portal.models import PortalToken
from herdesk.tickets.models import Interaction


@pytest.fixture
def offered(submit, agent_flow):
    return agent_flow.offer(submit())


@pytest.fixture
def resolved(offered, agent_flow):
    return agent_flow.resolve(offered)


def _en() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_link_create_returns_a_signed_url_and_stores_only_a_hash(offered, settings) -> None:
    # The options notice already sent the customer a link of its own (customer_notices).
    audited = AuditEntry.objects.filter(action="portal.action_link_create", object_id=offered.number).count()
    url = ps.portal_action_link_create(
        ticket=offered, purpose="choose_option", base_url="https://kf.example.cn/"
    )
    assert url.startswith("https://kf.example.cn/portal/link/choose/")
    settings.HERDESK_PUBLIC_URL = "https://portal.example.cn"
    assert ps.portal_action_link_create(ticket=offered, purpose="confirm_resolution").startswith(
        "https://portal.example.cn/portal/link/confirm/"
    )
    token = url.rstrip("/").rsplit("/", 1)[-1]
    row = PortalToken.objects.filter(purpose="choose_option").latest("id")
    assert (
        row.ticket == offered
        and row.customer == offered.customer
        and token.split(":")[0] not in row.token_hash
    )
    assert row.expires_at - row.created_at == timedelta(days=7)
    assert (
        AuditEntry.objects.filter(action="portal.action_link_create", object_id=offered.number).count()
        == audited + 2
    )
    with pytest.raises(ValidationError):
        ps.portal_action_link_create(ticket=offered, purpose="login")


def test_choose_by_link_once_without_signing_in(offered) -> None:
    url = ps.portal_action_link_create(ticket=offered, purpose="choose_option")
    page = _en().get(url)
    assert page.status_code == 200 and "远程指导更换真空泵密封圈" in page.content.decode()
    assert _en().post(url, {"position": "9"}).status_code == 400  # refused: the link stays usable
    r = _en().post(url, {"position": "1"})
    assert r.status_code == 200 and "We will go ahead with the option you chose." in r.content.decode()
    offered.refresh_from_db()
    assert offered.solution_stage == "option_chosen" and offered.options.get(position=1).chosen_at
    event = Interaction.objects.filter(ticket=offered, is_public=True, kind="system_event").latest("id")
    assert event.author.customer_id == offered.customer_id
    for again in (_en().get(url), _en().post(url, {"position": "2"})):
        assert again.status_code == 410 and "already been used" in again.content.decode()
    assert offered.options.get(position=2).chosen_at is None


def test_a_refused_choice_keeps_the_link_usable(offered) -> None:
    token = (
        ps.portal_action_link_create(ticket=offered, purpose="choose_option").rstrip("/").rsplit("/", 1)[-1]
    )
    with pytest.raises(ValidationError):
        ps.link_option_choose(token=token, position=3)
    assert PortalToken.objects.latest("id").used_at is None
    ps.link_option_choose(token=token, position=2)
    with pytest.raises(LinkError) as exc:
        ps.link_option_choose(token=token, position=2)
    assert exc.value.status == 410


def test_choose_link_after_the_choice_was_made_elsewhere(offered, portal_client) -> None:
    url = ps.portal_action_link_create(ticket=offered, purpose="choose_option")
    portal_client.post(reverse("portal:ticket_choose", args=[offered.number]), {"position": "2"})
    r = _en().get(url)
    assert r.status_code == 409 and "no longer open for choice" in r.content.decode()


def test_confirm_by_link(resolved) -> None:
    url = ps.portal_action_link_create(ticket=resolved, purpose="confirm_resolution")
    page = _en().get(url).content.decode()
    assert "Is your problem solved?" in page and "已更换密封圈" in page
    r = _en().post(url, {"action": "confirm"})
    assert r.status_code == 200 and "Your request is now closed." in r.content.decode()
    resolved.refresh_from_db()
    assert resolved.status == "closed"
    assert _en().post(url, {"action": "confirm"}).status_code == 410


def test_dispute_by_link_needs_a_reason_and_reopens(resolved) -> None:
    url = ps.portal_action_link_create(ticket=resolved, purpose="confirm_resolution")
    r = _en().post(url, {"action": "dispute", "reason": " "})
    assert r.status_code == 400 and "Tell us what is still wrong." in r.content.decode()
    assert PortalToken.objects.latest("id").used_at is None
    r = _en().post(url, {"action": "dispute", "reason": "挤奶杯还是脱落"})
    assert r.status_code == 200 and "reopened" in r.content.decode()
    resolved.refresh_from_db()
    assert resolved.status == "in_progress" and resolved.reopen_count == 1
    assert Interaction.objects.filter(ticket=resolved, body="挤奶杯还是脱落", is_public=True).exists()
    cycles = list(Clock.objects.filter(ticket=resolved, kind="resolution").values_list("cycle", "state"))
    assert sorted(cycles) == [(1, "met"), (2, "running")]


def test_confirm_link_when_no_longer_resolved(resolved, portal_client) -> None:
    url = ps.portal_action_link_create(ticket=resolved, purpose="confirm_resolution")
    portal_client.post(reverse("portal:ticket_dispute", args=[resolved.number]), {"reason": "没好"})
    r = _en().get(url)
    assert r.status_code == 409 and "no longer waiting for your confirmation" in r.content.decode()
    r = _en().post(url, {"action": "confirm"})
    assert r.status_code == 409 and PortalToken.objects.latest("id").used_at is None


def test_expired_action_link(resolved) -> None:
    url = ps.portal_action_link_create(ticket=resolved, purpose="confirm_resolution", ttl=timedelta(hours=1))
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        for r in (_en().get(url), _en().post(url, {"action": "confirm"})):
            assert r.status_code == 410 and "This link has expired." in r.content.decode()
    resolved.refresh_from_db()
    assert resolved.status == "resolved"


def test_tampered_and_cross_purpose_action_links(resolved) -> None:
    url = ps.portal_action_link_create(ticket=resolved, purpose="confirm_resolution")
    token = url.rstrip("/").rsplit("/", 1)[-1]
    secret, sig = token.split(":", 1)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for bad in (f"{flipped}:{sig}", f"{secret}:{sig[::-1]}", "hello"):
        r = _en().post(reverse("portal:link_confirm", args=[bad]), {"action": "confirm"})
        assert r.status_code == 400 and "not valid" in r.content.decode()
    # A confirm link cannot choose options, nor sign anybody in.
    assert _en().get(reverse("portal:link_choose", args=[token])).status_code == 400
    assert _en().post(reverse("portal:login_link", args=[token])).status_code == 400
    resolved.refresh_from_db()
    assert resolved.status == "resolved"


def test_link_pages_in_chinese(resolved) -> None:
    url = ps.portal_action_link_create(ticket=resolved, purpose="confirm_resolution")
    r = Client().get(url)
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.content.decode()
