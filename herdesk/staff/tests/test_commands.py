"""The `herdesk` front door: readable help, user and token commands."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from herdesk.staff.models import ApiToken, User
from herdesk.staff.selectors import user_for_token


def test_help_is_readable() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "herdesk.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    for word in ("serve", "demo load", "user create", "token create", "audit verify", "calendar add"):
        assert word in out.stdout


def test_user_and_token_create(reference, capsys) -> None:
    call_command(
        "user",
        "create",
        "wang",
        "--role",
        "agent",
        "--team",
        "customer-service",
        "--password",
        "a-long-password",
    )
    user = User.objects.get(username="wang")
    assert [g.name for g in user.groups.all()] == ["agent"] and user.team.code == "customer-service"
    capsys.readouterr()
    call_command("token", "create", "--user", "wang")
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("hdk_")
    assert user_for_token(secret) == user
    assert not ApiToken.objects.filter(digest=secret).exists()  # only the hash is stored
    with pytest.raises(CommandError):
        call_command("user", "create", "wang", "--role", "agent")
    with pytest.raises(CommandError):
        call_command("token", "create", "--user", "nobody")


def test_roles_are_least_privilege(staff) -> None:
    agent, qa, manager, admin = staff["agent1"], staff["qa1"], staff["manager"], staff["admin"]
    assert agent.has_perm("tickets.change_ticket") and not agent.has_perm("tickets.view_all_tickets")
    assert not agent.has_perm("customers.view_personal_data")
    assert qa.has_perm("tickets.view_all_tickets") and not qa.has_perm("tickets.change_ticket")
    assert manager.has_perm("policies.approve_policy") and not agent.has_perm("policies.approve_policy")
    assert admin.is_staff and not agent.is_staff
