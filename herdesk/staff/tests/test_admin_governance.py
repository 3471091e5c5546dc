"""Issue #12: no unaudited switch in the Django admin. The administrator cannot make itself
superuser or raise its own role, cannot switch the policy in force, and every change it may make
(users, roles, role permissions, customers' tier and account manager, policies) is in the audit
chain that `herdesk audit verify` checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client

from herdesk.audit.models import AuditEntry
from herdesk.audit.services import audit_verify
from herdesk.policies.models import ServicePolicy
from herdesk.staff.models import User
from herdesk.staff.selectors import user_role


@pytest.fixture
def admin_client(staff: dict[str, Any]) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(staff["admin"])
    return c


def _user_form(u: User, **extra: Any) -> dict[str, Any]:
    data = {
        "first_name": u.first_name,
        "last_name": u.last_name,
        "display_name": u.display_name,
        "email": u.email,
        "team": u.team_id or "",
        "extension": u.extension,
        "role": user_role(u),
        "is_active": "on" if u.is_active else "",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def _audited(action: str, **data: Any) -> list[AuditEntry]:
    return [
        e
        for e in AuditEntry.objects.filter(action=action).order_by("seq")
        if all(e.data.get(k) == v for k, v in data.items())
    ]


def test_admin_cannot_make_itself_superuser(admin_client: Client, staff: dict[str, Any]) -> None:
    me = staff["admin"]
    url = f"/admin/staff/user/{me.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="is_superuser"' not in body and 'name="groups"' not in body
    assert 'name="user_permissions"' not in body
    r = admin_client.post(
        url,
        _user_form(me, is_superuser="on", is_staff="on", groups=[Group.objects.get(name="management").pk]),
    )
    assert r.status_code == 302
    me.refresh_from_db()
    assert not me.is_superuser and user_role(User.objects.get(pk=me.pk)) == "admin"
    # Raising its own role is refused and changes nothing.
    r = admin_client.post(url, _user_form(me, role="management", display_name="改名"), follow=True)
    assert b"cannot raise your own privileges" in r.content
    me = User.objects.get(pk=me.pk)
    assert user_role(me) == "admin" and me.display_name == "系统管理员"
    assert not _audited("user.role_set", username="admin", role="management")


def test_admin_cannot_add_permissions_to_its_own_role(admin_client: Client) -> None:
    group = Group.objects.get(name="admin")
    before = set(group.permissions.values_list("pk", flat=True))
    approve = Permission.objects.get(codename="approve_policy")
    r = admin_client.post(
        f"/admin/auth/group/{group.pk}/change/", {"permissions": [*before, approve.pk]}, follow=True
    )
    assert b"cannot raise your own privileges" in r.content
    assert set(group.permissions.values_list("pk", flat=True)) == before


def test_admin_cannot_switch_the_policy_in_force(admin_client: Client, staff: dict[str, Any]) -> None:
    other = ServicePolicy.objects.get(code="seed-001")
    r = admin_client.post(
        f"/admin/policies/servicepolicy/{other.pk}/change/",
        {"name": other.name, "description": other.description, "is_active": "on"},
    )
    assert r.status_code == 302
    assert list(ServicePolicy.objects.filter(is_active=True).values_list("code", flat=True)) == ["seed-000"]
    # Versions are not editable in the admin at all.
    assert admin_client.post("/admin/policies/policyversion/1/change/", {"notes": "x"}).status_code in (
        302,
        403,
    )


def test_permitted_admin_changes_land_in_the_audit_chain(
    admin_client: Client, staff: dict[str, Any], customer: Any
) -> None:
    agent2 = staff["agent2"]
    url = f"/admin/staff/user/{agent2.pk}/change/"
    assert (
        admin_client.post(url, _user_form(agent2, display_name="李明明", extension="8021")).status_code == 302
    )
    assert (
        admin_client.post(url, _user_form(User.objects.get(pk=agent2.pk), role="supervisor")).status_code
        == 302
    )
    r = admin_client.post(
        f"/admin/staff/user/{agent2.pk}/password/",
        {"password1": "n3w-Pass!word", "password2": "n3w-Pass!word", "usable_password": "true"},
    )
    assert r.status_code == 302
    agent2 = User.objects.get(pk=agent2.pk)
    assert agent2.display_name == "李明明" and user_role(agent2) == "supervisor"
    assert agent2.check_password("n3w-Pass!word")

    # A role the administrator is not in: removing a permission is allowed and audited.
    qa = Group.objects.get(name="qa")
    keep = list(qa.permissions.exclude(codename="view_reports").values_list("pk", flat=True))
    assert admin_client.post(f"/admin/auth/group/{qa.pk}/change/", {"permissions": keep}).status_code == 302

    # A new user created in the admin goes through user_create (role, audit).
    r = admin_client.post(
        "/admin/staff/user/add/",
        {"username": "agent9", "password1": "Pa55-word!", "role": "agent", "email": ""},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert user_role(User.objects.get(username="agent9")) == "agent"

    # Customers: tier and account manager (the organisation's customers follow it).
    org = customer.organisation
    am = staff["am1"]
    r = admin_client.post(
        f"/admin/customers/organisation/{org.pk}/change/", {"tier": "regular", "account_manager": am.pk}
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    customer.refresh_from_db()
    assert (customer.tier, customer.account_manager_id) == ("regular", am.pk)
    r = admin_client.post(
        f"/admin/customers/customer/{customer.pk}/change/", {"tier": "key_account", "account_manager": ""}
    )
    assert r.status_code == 302, r.content.decode()[:2000]

    # Policies: the name (the only editable field).
    seed = ServicePolicy.objects.get(code="seed-000")
    r = admin_client.post(
        f"/admin/policies/servicepolicy/{seed.pk}/change/", {"name": "客户服务规定 2027", "description": "x"}
    )
    assert r.status_code == 302

    me = staff["admin"].pk
    by_admin = {(e.action, e.object_id) for e in AuditEntry.objects.filter(actor_id=me)}
    assert {
        ("user.update", str(agent2.pk)),
        ("user.role_set", str(agent2.pk)),
        ("user.password_set", str(agent2.pk)),
        ("role.permissions_set", "qa"),
        ("user.role_set", str(User.objects.get(username="agent9").pk)),
        ("organisation.account_set", str(org.pk)),
        ("customer.account_set", str(customer.pk)),
        ("policy.describe", "seed-000"),
    } <= by_admin
    assert _audited("role.permissions_set", removed=["tickets.view_reports"])
    assert "n3w-Pass" not in str(list(AuditEntry.objects.values_list("data", flat=True)))
    assert audit_verify().ok
    call_command("audit", "verify")


def test_superuser_only_from_the_command_line(reference: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("user", "create", "root2", "--superuser", "--password", "S3cure-pass!")
    u = User.objects.get(username="root2")
    assert u.is_superuser and u.is_staff
    assert AuditEntry.objects.filter(action="user.superuser_create", object_id=str(u.pk)).exists()


def test_customer_admin_shows_no_personal_data_and_edits_only_the_account(
    admin_client: Client, customer: Any
) -> None:
    """SEC-1: the admin never shows encrypted personal data; only tier and account manager change."""
    body = admin_client.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    assert (
        "呼和浩特市赛罕区草原路" not in body
        and 'name="address"' not in body
        and 'name="id_number"' not in body
    )
    assert 'name="tier"' in body and 'name="account_manager"' in body and 'name="name"' not in body
    r = admin_client.post(
        f"/admin/customers/customer/{customer.pk}/change/",
        {"tier": "regular", "account_manager": "", "name": "改名", "address": "x"},
    )
    assert r.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "张三" and customer.address == "呼和浩特市赛罕区草原路 88 号"


def test_sync_roles_command(reference: None, capsys: pytest.CaptureFixture[str]) -> None:
    Group.objects.get(name="supervisor").permissions.clear()
    call_command("user", "sync-roles")
    assert Group.objects.get(name="supervisor").permissions.filter(codename="add_policyversion").exists()
    assert AuditEntry.objects.filter(action="role.permissions_set", object_id="supervisor").exists()


def test_tokens_are_revoked_through_the_service_never_revived(staff: dict[str, Any]) -> None:
    from herdesk.staff.models import ApiToken
    from herdesk.staff.services import superuser_create, token_create

    token, _secret = token_create(user=staff["agent1"])
    root = superuser_create(username="root", password="S3cure-pass!")
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(root)
    body = c.get(f"/admin/staff/apitoken/{token.pk}/change/").content.decode()
    assert 'name="revoked_at' not in body
    r = c.post("/admin/staff/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert r.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEntry.objects.filter(action="token.revoke", actor_id=root.pk).exists()
