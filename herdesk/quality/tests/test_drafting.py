"""Drafting a scorecard on its pages (QA-3): a new scorecard, sections and criteria added, edited and
removed, weights summing to 100 only at publish, bilingual 4xx refusals, every change audited, and a
version in use read-only."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.audit.models import AuditEntry
from herdesk.common.errors import DomainError
from herdesk.quality import services as qs
from herdesk.quality.models import Scorecard, ScorecardVersion, ScoreCriterion, ScoreSection
from herdesk.training import services as training

pytestmark = pytest.mark.django_db


def _client(login: Any, name: str) -> Any:
    return login(name, lang="en")


def _criterion(code: str, weight: Any, **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": f"标准 {code}", "weight": weight, "scale": "0-4", **extra}


def test_new_scorecard_sections_criteria_publish(qa: dict[str, Any], login: Any) -> None:
    training.module_create(actor=qa["admin"], code="etiquette", title="服务礼仪")
    c = _client(login, "qa1")
    assert c.get("/quality/scorecards/new/").status_code == 200
    # Bad input: a 4xx with both languages, nothing created.
    r = c.post("/quality/scorecards/new/", {"code": "Not a code!", "name": "x"})
    assert r.status_code == 422 and "代码为" in r.content.decode() and "lower-case" in r.content.decode()
    r = c.post(
        "/quality/scorecards/new/", {"code": "phone-2027", "name": "电话质检表", "section": "服务态度"}
    )
    card = Scorecard.objects.get(code="phone-2027")
    v1 = card.versions.get()
    assert r.status_code == 302 and r["Location"] == f"/quality/versions/{v1.pk}/"
    assert v1.state == "draft" and [s.name for s in v1.sections.all()] == ["服务态度"]
    first = v1.sections.get()
    # A second section, renamed on its own page.
    assert c.post(f"/quality/versions/{v1.pk}/sections/new/", {"name": ""}).status_code == 422
    c.post(f"/quality/versions/{v1.pk}/sections/new/", {"name": "记录", "name_en": "Records"})
    second = v1.sections.get(name="记录")
    c.post(f"/quality/sections/{second.pk}/", {"name": "服务记录", "name_en": "Record keeping"})
    second.refresh_from_db()
    assert (second.name, second.name_en, second.position) == ("服务记录", "Record keeping", 2)
    # Criteria: a weight that is not a whole number, a duplicate code, an unknown module: 400s.
    url = f"/quality/sections/{first.pk}/criteria/new/"
    assert c.get(url).status_code == 200
    assert c.post(url, _criterion("greet", "x")).status_code == 422
    assert c.post(url, _criterion("greet", 101)).status_code == 422
    assert c.post(url, _criterion("greet", 0)).status_code == 422  # weight 0: red lines only
    r = c.post(url, _criterion("greet", 60, training="no-such-module"))
    assert r.status_code == 422 and "培训模块" in r.content.decode()
    assert c.post(url, _criterion("greet", 60, training="etiquette", na="1")).status_code == 302
    assert c.post(url, _criterion("greet", 10)).status_code == 422  # codes are unique per version
    c.post(url, _criterion("rude", 0, red_line="1"))
    c.post(f"/quality/sections/{second.pk}/criteria/new/", _criterion("notes", 30))
    greet = ScoreCriterion.objects.get(section__version=v1, code="greet")
    assert (greet.weight, greet.scale, greet.na_allowed, greet.training_module_code) == (
        60,
        "0-4",
        True,
        "etiquette",
    )
    # 60 + 0 + 30 = 90: publishing is refused, the page says why.
    assert c.post(f"/quality/versions/{v1.pk}/publish/").status_code == 302
    v1.refresh_from_db()
    assert v1.state == "draft"
    assert "90" in c.get(f"/quality/versions/{v1.pk}/").content.decode()
    # Edit the criterion on its page: 70 → the total is 100 and it publishes.
    page = c.get(f"/quality/criteria/{greet.pk}/").content.decode()
    assert 'value="60"' in page and "The other criteria weigh 30" in page
    assert (
        c.post(f"/quality/criteria/{greet.pk}/", _criterion("greet", 70, training="etiquette")).status_code
        == 302
    )
    greet.refresh_from_db()
    assert greet.weight == 70 and not greet.na_allowed
    # A criterion added by mistake is removed; an empty section too.
    c.post(url, _criterion("extra", 5))
    extra = ScoreCriterion.objects.get(code="extra", section__version=v1)
    assert c.post(f"/quality/sections/{second.pk}/", {"remove": "1"}).status_code == 409  # not empty
    c.post(f"/quality/criteria/{extra.pk}/", {"remove": "1"})
    assert not ScoreCriterion.objects.filter(pk=extra.pk).exists()
    c.post(f"/quality/versions/{v1.pk}/sections/new/", {"name": "空"})
    empty = v1.sections.get(name="空")
    assert c.post(f"/quality/sections/{empty.pk}/", {"remove": "1"}).status_code == 302
    assert not ScoreSection.objects.filter(pk=empty.pk).exists()
    c.post(f"/quality/versions/{v1.pk}/publish/")
    v1.refresh_from_db()
    assert v1.state == "published"
    # Every change is audited under the scorecard's code.
    actions = list(
        AuditEntry.objects.filter(object_type="scorecard", object_id="phone-2027").values_list(
            "action", flat=True
        )
    )
    for action in (
        "quality.scorecard_create", "quality.section_add", "quality.section_update",
        "quality.criterion_add", "quality.criterion_update", "quality.criterion_remove",
        "quality.section_remove", "quality.version_publish",
    ):  # fmt: skip
        assert action in actions, action


def test_a_version_in_use_is_read_only(qa: dict[str, Any], login: Any) -> None:
    version = ScorecardVersion.objects.get(scorecard__code="seed-000-inspection", state="published")
    section = version.sections.first()
    crit = section.criteria.first()
    c = _client(login, "qa1")
    page = c.get(f"/quality/criteria/{crit.pk}/").content.decode()
    assert "Only a draft can be changed" in page and "disabled" in page
    before = (crit.weight, crit.name)
    r = c.post(f"/quality/criteria/{crit.pk}/", _criterion(crit.code, 1))
    assert r.status_code == 409 and "只能修改草稿" in r.content.decode()
    assert c.post(f"/quality/sections/{section.pk}/criteria/new/", _criterion("new", 1)).status_code == 409
    assert c.post(f"/quality/versions/{version.pk}/sections/new/", {"name": "x"}).status_code == 409
    crit.refresh_from_db()
    assert (crit.weight, crit.name) == before
    # Not for agents; an unknown id is a 404.
    agent = _client(login, "agent1")
    assert agent.get(f"/quality/criteria/{crit.pk}/").status_code == 403
    assert agent.post("/quality/scorecards/new/", {"code": "x", "name": "x"}).status_code == 403
    assert c.get("/quality/criteria/999999/").status_code == 404


def test_the_services_refuse_bad_drafts(qa: dict[str, Any]) -> None:
    version = qs.scorecard_create(actor=qa["qa1"], code="svc", name="服务", sections=[{"name": "一"}])
    section = version.sections.get()
    with pytest.raises(DomainError):
        qs.criterion_create(actor=qa["qa1"], section=section, fields=_criterion("a", -1))
    c = qs.criterion_create(actor=qa["qa1"], section=section, fields=_criterion("a", 100))
    # An existing link to a module that is no longer active stays when other fields change.
    ScoreCriterion.objects.filter(pk=c.pk).update(training_module_code="retired-module")
    c.refresh_from_db()
    qs.criterion_update(actor=qa["qa1"], criterion=c, fields=_criterion("a", 100, training="retired-module"))
    assert qs.version_problems(version) == []
