"""The authentication backend answers exactly as Django's ModelBackend, in fewer queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from herdesk.staff.backends import StaffBackend
from herdesk.staff.models import User
from herdesk.staff.selectors import user_role

pytestmark = pytest.mark.django_db


def _fresh(username: str) -> User:
    return User.objects.get(username=username)


@pytest.mark.parametrize("username", ["agent1", "tech1", "cs_lead", "qa1", "manager", "am1"])
def test_permissions_and_role_match_model_backend(staff, username) -> None:
    ours = StaffBackend().get_all_permissions(_fresh(username))
    django = ModelBackend().get_all_permissions(_fresh(username))
    assert ours == django and ours
    user = _fresh(username)
    assert user_role(user) == user.groups.order_by("id").first().name  # type: ignore[union-attr]


def test_direct_permission_superuser_and_inactive(staff) -> None:
    agent = _fresh("agent1")
    agent.user_permissions.add(Permission.objects.get(codename="view_reports"))
    assert "tickets.view_reports" in StaffBackend().get_all_permissions(_fresh("agent1"))
    assert StaffBackend().get_all_permissions(_fresh("agent1")) == ModelBackend().get_all_permissions(
        _fresh("agent1")
    )
    admin = User.objects.create_superuser("root2", "root2@example.cn", "x-long-password-1")
    assert StaffBackend().get_all_permissions(admin) == ModelBackend().get_all_permissions(admin)
    User.objects.filter(username="agent1").update(is_active=False)
    inactive = _fresh("agent1")
    assert StaffBackend().get_all_permissions(inactive) == set()
    assert StaffBackend().get_user(inactive.pk) is None


def test_signed_in_user_team_permissions_and_role_cost_two_queries(staff, django_assert_num_queries) -> None:
    pk = _fresh("tech1").pk
    with django_assert_num_queries(2):
        user = StaffBackend().get_user(pk)
        assert user is not None
        assert user.team is not None and user.team.code == "tech-support"
        assert user.has_perm("tickets.change_ticket") and not user.has_perm("tickets.view_all_tickets")
        assert user_role(user) == "tech_engineer"


def test_a_user_without_groups_has_no_role(reference) -> None:
    user = User.objects.create_user("loner", password="x-long-password-1")
    assert user_role(user) == ""
    assert StaffBackend().get_all_permissions(user) == set()
