"""KB-1 workflow: versions, two-person review, publishing, revert, archive, audit and timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from herdesk.audit.models import AuditEntry
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.kb import services as ks
from herdesk.kb.choices import VersionState
from herdesk.kb.diff import version_diff
from herdesk.kb.models import Article, KbCategory
from herdesk.kb.selectors import article_search, articles_visible_to, health_report, review_queue

pytestmark = pytest.mark.django_db


def _meta(code: str = "milking", **kw: Any) -> dict[str, Any]:
    return {"category": KbCategory.objects.get(code=code).pk, "audience": "customers", **kw}


def _content(**kw: Any) -> dict[str, Any]:
    return {"title": "挤奶杯脱落", "symptom": "挤奶杯经常脱落", "solution": "张紧皮带", **kw}


def test_demo_articles_are_published_and_reviewed_by_someone_else(kb: int, staff: dict[str, Any]) -> None:
    assert kb >= 12
    for a in Article.objects.select_related("published"):
        assert a.published is not None and a.published.state == VersionState.PUBLISHED
        assert a.published.reviewed_by_id != a.published.author_id
    from herdesk.kb.demo import kb_demo_ensure

    assert kb_demo_ensure(staff) == 0  # idempotent


def test_two_person_rule_and_reviewer_by_category(kb: int, staff: dict[str, Any]) -> None:
    a = ks.article_create(actor=staff["tech2"], content=_content(), meta=_meta())
    ks.article_submit(actor=staff["tech2"], article=a)
    with pytest.raises(DomainError, match=r"another reviewer|另一位审核人"):
        ks.article_approve(actor=staff["tech2"], article=a)
    # Technical support (and its children) are reviewed by tech1 only, not by the supervisor.
    with pytest.raises(DomainError):
        ks.article_approve(actor=staff["cs_lead"], article=a)
    assert [v.article_id for v in review_queue(user=staff["tech1"])] == [a.pk]
    assert review_queue(user=staff["tech2"]) == []
    with pytest.raises(TransitionNotAllowed):
        ks.article_publish(actor=staff["tech1"], article=a)  # not approved yet
    ks.article_approve(actor=staff["tech1"], article=a, comment="ok")
    v = ks.article_publish(actor=staff["tech2"], article=a)  # the author publishes the approved version
    a.refresh_from_db()
    assert a.published_id == v.pk and v.reviewed_by == staff["tech1"]
    kinds = list(a.events.values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "approved", "published"]
    actions = set(AuditEntry.objects.filter(object_id=a.number).values_list("action", flat=True))
    assert {"kb.created", "kb.submitted", "kb.approved", "kb.published"} <= actions


def test_editing_a_published_article_keeps_it_live_until_the_new_version_is_published(
    kb: int, staff: dict[str, Any]
) -> None:
    a = Article.objects.get(published__title__startswith="挤奶机真空度不足")
    live = a.published
    v2 = ks.article_edit(
        actor=staff["tech2"],
        article=a,
        content=_content(title=live.title, solution="更换真空泵皮带"),
        meta=_meta(audience="public"),
    )
    a.refresh_from_db()
    assert v2.number == 2 and v2.state == VersionState.DRAFT
    assert a.published_id == live.pk and a.audience == "customers"  # reclassification waits for review
    assert "张紧皮带" not in a.published_text and "更换真空泵皮带" in a.latest_text
    # Portal readers search the live text only.
    from django.contrib.auth.models import AnonymousUser

    assert article_search(user=AnonymousUser(), q="更换真空泵皮带") == []
    ks.article_submit(actor=staff["tech2"], article=a)
    with pytest.raises(DomainError):  # in review: not editable
        ks.article_edit(actor=staff["tech2"], article=a, content=_content(), meta=_meta())
    ks.article_approve(actor=staff["tech1"], article=a)
    ks.article_publish(actor=staff["tech1"], article=a)
    a.refresh_from_db()
    live.refresh_from_db()
    assert a.published_id == v2.pk and live.state == VersionState.ARCHIVED and a.audience == "public"
    diff = {d.field: d for d in version_diff(live, v2)}
    assert diff["solution"].changed and "<ins>" in diff["solution"].html and not diff["title"].changed


def test_revert_restores_old_content_as_a_reviewed_version(kb: int, staff: dict[str, Any]) -> None:
    a = ks.article_create(
        actor=staff["agent1"], content=_content(solution="第一版"), meta=_meta("order-inquiry")
    )
    for text in ("第二版",):
        ks.article_submit(actor=staff["agent1"], article=a)
        ks.article_approve(actor=staff["cs_lead"], article=a)
        ks.article_publish(actor=staff["cs_lead"], article=a)
        ks.article_edit(
            actor=staff["agent1"], article=a, content=_content(solution=text), meta=_meta("order-inquiry")
        )
    ks.article_submit(actor=staff["agent1"], article=a)
    ks.article_approve(actor=staff["cs_lead"], article=a)
    ks.article_publish(actor=staff["cs_lead"], article=a)
    a.refresh_from_db()
    assert "第二版" in a.published.solution
    v3 = ks.article_revert(actor=staff["agent1"], article=a, to_number=1)
    assert v3.number == 3 and v3.reverted_from == 1 and "第一版" in v3.solution
    ks.article_submit(actor=staff["agent1"], article=a)
    ks.article_approve(actor=staff["cs_lead"], article=a)
    ks.article_publish(actor=staff["cs_lead"], article=a)
    a.refresh_from_db()
    assert "第一版" in a.published.solution and "reverted" in list(a.events.values_list("kind", flat=True))


def test_content_is_sanitised_and_validated(kb: int, staff: dict[str, Any]) -> None:
    a = ks.article_create(
        actor=staff["agent1"],
        content=_content(
            solution='<p onclick="x()">ok<script>alert(1)</script><a href="javascript:x">l</a></p>'
        ),
        meta=_meta(),
    )
    body = a.versions.get().solution
    assert "script" not in body and "onclick" not in body and "javascript" not in body and "ok" in body
    with pytest.raises(ValidationError) as e:
        ks.article_create(
            actor=staff["agent1"], content={"title": " "}, meta={"category": 0, "audience": "x"}
        )
    assert {"title"} <= set(e.value.message_dict)
    with pytest.raises(ValidationError) as e:
        ks.article_create(actor=staff["agent1"], content=_content(), meta={"category": 0, "audience": "x"})
    assert {"category", "audience"} <= set(e.value.message_dict)


def test_visibility_by_audience(kb: int, staff: dict[str, Any], customer: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    from herdesk.staff.services import user_create

    cust_user = user_create(username="c1", password="x-long-pass-1", role="customer", customer=customer)
    anon = set(articles_visible_to(AnonymousUser()).values_list("audience", flat=True))
    mine = set(articles_visible_to(cust_user).values_list("audience", flat=True))
    staff_sees = set(articles_visible_to(staff["agent1"]).values_list("audience", flat=True))
    assert anon == {"public"} and mine == {"public", "customers"} and "internal" in staff_sees


def test_synonyms_and_quoted_phrases(kb: int, staff: dict[str, Any]) -> None:
    titles = [h.title for h in article_search(user=staff["agent1"], q="乳腺炎")]
    assert any("乳房炎" in t for t in titles)
    hits = article_search(user=staff["agent1"], q="scc 夏季")
    assert hits and "<mark>" in hits[0].snippet
    assert article_search(user=staff["agent1"], q='"皮带 松弛"') == []
    assert article_search(user=staff["agent1"], q='"真空泵皮带松弛"')


def test_stale_report(kb: int, staff: dict[str, Any]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from herdesk.kb.models import ArticleUsage

    rows, stale = health_report()
    assert rows and not stale  # everything was just reviewed
    a = Article.objects.first()
    assert a is not None
    now = timezone.now()
    ArticleUsage.objects.bulk_create(
        [ArticleUsage(article=a, kind="not_helpful", reader=f"r{i}", at=now) for i in range(15)]
        + [ArticleUsage(article=a, kind="helpful", reader=f"h{i}", at=now) for i in range(5)]
    )
    Article.objects.filter(pk=Article.objects.last().pk).update(last_reviewed_at=now - timedelta(days=181))  # type: ignore[union-attr]
    _rows, stale = health_report()
    reasons = {r.article.pk: r.reasons for r in stale}
    assert len(reasons) == 2 and any("25" in " ".join(r) for r in reasons.values())
