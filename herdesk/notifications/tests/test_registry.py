"""The notifications reach no app above the core: the channels and the portal register what the
notice composition needs (registry.py), in their AppConfig.ready()."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.notifications import registry
from herdesk.notifications.choices import ActionLinkPurpose
from herdesk.portal.choices import TokenPurpose


def test_the_channels_and_the_portal_have_registered() -> None:
    got = registry.registered()
    assert {"sms", "wechat"} <= set(got["recipients"]) and got["action_link"]


def test_the_action_link_purposes_are_the_portals_token_purposes() -> None:
    for value in (ActionLinkPurpose.CHOOSE_OPTION, ActionLinkPurpose.CONFIRM_RESOLUTION):
        assert value in TokenPurpose.values


def test_without_a_registered_app_no_recipient_and_no_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_RECIPIENTS", {})
    monkeypatch.setattr(registry, "_ACTION_LINK", [])
    assert registry.notice_recipient("sms", object()) == ""
    assert registry.action_link(ticket=object(), purpose=ActionLinkPurpose.CHOOSE_OPTION) == ""


def test_registered_entries_may_be_callables_or_dotted_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_RECIPIENTS", {})
    monkeypatch.setattr(registry, "_ACTION_LINK", [])
    registry.notice_recipient_register("sms", lambda ticket: f"contact:{ticket}")
    registry.notice_recipient_register("wechat", "os.path:basename")
    registry.action_link_register(lambda *, ticket, purpose: f"/l/{purpose}/{ticket}")
    assert registry.notice_recipient("sms", 7) == "contact:7"
    assert registry.notice_recipient("wechat", "/a/openid-1") == "openid-1"
    got: Any = registry.action_link(ticket=3, purpose="choose_option")
    assert got == "/l/choose_option/3"
