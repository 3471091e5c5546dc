"""Reference lists kept between requests: read once, refreshed by a change of their rows."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import translation

from herdesk.common import reflists
from herdesk.staff.models import Team
from herdesk.workspace.forms import team_choices

pytestmark = pytest.mark.django_db


def test_read_once_per_language_until_a_row_changes(reference, django_assert_num_queries) -> None:
    with translation.override("zh-hans"):
        first = reflists.cached_list("t.teams", team_choices)
        with django_assert_num_queries(0):
            assert reflists.cached_list("t.teams", team_choices) == first
    with translation.override("en"), django_assert_num_queries(1):
        english = reflists.cached_list("t.teams", team_choices)
    assert len(english) == len(first)
    team = Team.objects.create(code="new-team", name="新团队", name_en="New team")
    with translation.override("zh-hans"), django_assert_num_queries(1):
        assert (team.pk, "新团队") in reflists.cached_list("t.teams", team_choices)
    team.delete()
    with translation.override("zh-hans"):
        assert all(pk != team.pk for pk, _ in reflists.cached_list("t.teams", team_choices))


def test_another_process_sees_the_change_through_the_shared_version(reference) -> None:
    """A process's copy is checked against the version in the shared cache at each use."""
    with translation.override("zh-hans"):
        reflists.cached_list("t.teams", team_choices)
        Team.objects.filter(code="tech-support").update(name="技术支持中心")  # no signal: another process
        assert "技术支持中心" not in dict(reflists.cached_list("t.teams", team_choices)).values()
        cache.set(reflists.VERSION_KEY, "bumped elsewhere", None)
        assert "技术支持中心" in dict(reflists.cached_list("t.teams", team_choices)).values()


def test_a_sign_in_does_not_refresh_the_lists(staff, client) -> None:
    version = reflists._version()
    user = staff["agent1"]
    user.save(update_fields=["last_login"])
    assert reflists._version() == version
    user.display_name = "新名字"
    user.save()
    assert reflists._version() != version
