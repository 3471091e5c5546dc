"""Scorecards as data, reproducible sampling, reviews, the dispute state machine, calibration and
the training/re-check loop (QA-1, QA-3, QA-4)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.quality import services as qs
from herdesk.quality.choices import REVIEW_TRANSITIONS, Grade, Pick, ReviewAction, ReviewState, VersionState
from herdesk.quality.models import Recheck, Review, SampleDraw, Scorecard, ScoreCriterion

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-16 .. Sunday 2026-11-22 is the week before Tuesday 2026-11-24.
WEEK = (datetime(2026, 11, 16, tzinfo=SH), datetime(2026, 11, 23, tzinfo=SH))
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=SH)


def _card(qa: dict[str, Any], code: str = "t") -> Scorecard:
    v = qs.scorecard_create(
        actor=qa["qa1"],
        code=code,
        name="测试表",
        sections=[
            {
                "name": "S",
                "criteria": [
                    {"code": "a", "name": "A", "weight": 50, "scale": "0-10", "training": "mod-a"},
                    {"code": "b", "name": "B", "weight": 30, "scale": "0-10"},
                    {"code": "c", "name": "C", "weight": 20, "scale": "0-10", "na": True},
                    {"code": "rl", "name": "Red", "weight": 0, "scale": "0-1", "red_line": True},
                ],
            }
        ],
    )
    qs.version_publish(actor=qa["qa1"], version=v)
    return v.scorecard


def _answers(review: Review, ratings: dict[str, int | None], comment: str = "扣分说明") -> dict:
    out = {}
    for c in ScoreCriterion.objects.filter(section__version=review.version):
        r = ratings.get(c.code, 10 if c.scale == "0-10" else 1)
        out[c.pk] = (r, comment)
    return out


def _plan(qa: dict[str, Any], card: Scorecard, **kw: Any) -> Any:
    args = {
        "name": "每周抽查",
        "cycle": "weekly",
        "sources": ["ticket", "call", "chat"],
        "scorecard": card,
        "reviewers": [qa["qa1"], qa["qa2"]],
        "percentage": 20,
        "per_agent_minimum": 2,
        **kw,
    }
    return qs.plan_create(actor=qa["qa1"], **args)


def _population(contacts: Any) -> None:
    at = WEEK[0] + timedelta(hours=10)
    for i, (kind, agent) in enumerate(
        itertools.product(["ticket", "call", "chat"], ["agent1", "agent2", "tech1", "agent1"])
    ):
        contacts(kind, agent, at + timedelta(hours=i))


# ------------------------------------------------------------------ scorecards


def test_seed_templates_installed(qa: dict[str, Any]) -> None:
    for code in ("seed-001-conduct", "seed-000-inspection"):
        v = qs.version_in_use(Scorecard.objects.get(code=code))
        assert qs.version_problems(v) == []
        assert sum(ScoreCriterion.objects.filter(section__version=v).values_list("weight", flat=True)) == 100
    sections = (
        Scorecard.objects.get(code="seed-001-conduct").versions.get().sections.values_list("name", flat=True)
    )
    assert list(sections) == ["服务态度", "专业能力", "问题解决效率", "客户满意度", "服务记录"]


def test_weights_must_sum_to_100_and_versions_are_kept(qa: dict[str, Any]) -> None:
    card = _card(qa)
    v1 = qs.version_in_use(card)
    with pytest.raises(TransitionNotAllowed):
        qs.version_update_criteria(actor=qa["qa1"], version=v1, changes={})
    v2 = qs.version_new_draft(actor=qa["qa1"], scorecard=card)
    assert v2.number == 2 and v2.state == VersionState.DRAFT
    a = ScoreCriterion.objects.get(section__version=v2, code="a")
    qs.version_update_criteria(actor=qa["qa1"], version=v2, changes={a.pk: {"weight": 40}})
    with pytest.raises(DomainError, match="90"):
        qs.version_publish(actor=qa["qa1"], version=v2)
    b = ScoreCriterion.objects.get(section__version=v2, code="b")
    qs.version_update_criteria(actor=qa["qa1"], version=v2, changes={b.pk: {"weight": 40}})
    qs.version_publish(actor=qa["qa1"], version=v2)
    v1.refresh_from_db()
    assert v1.state == VersionState.RETIRED and qs.version_in_use(card) == v2
    # weight 0 only for a red line
    v3 = qs.version_new_draft(actor=qa["qa1"], scorecard=card)
    rl = ScoreCriterion.objects.get(section__version=v3, code="rl")
    qs.version_update_criteria(actor=qa["qa1"], version=v3, changes={rl.pk: {"red_line": False}})
    assert any("0" in p for p in qs.version_problems(v3))


# ------------------------------------------------------------------ sampling


def test_draw_is_reproducible_from_the_stored_seed(qa: dict[str, Any], contacts: Any) -> None:
    _population(contacts)
    card = _card(qa)
    plan = _plan(qa, card)
    draw = qs.sample_draw(actor=qa["qa1"], plan=plan, period=WEEK, seed=12345)
    assert draw.population_size == 12
    items = list(draw.items.values_list("source", "object_id", "pick", "reviewer_id"))
    assert qs.sample_verify(draw)
    again = [
        (p.candidate.source, p.candidate.object_id, p.pick, p.reviewer_id) for p in qs.draw_recompute(draw)
    ]
    assert again == items
    # Stratified 20 % per channel: ceil(4 × 0.2) = 1 per channel → 3 random, then every agent gets 2.
    assert sum(1 for i in items if i[2] == Pick.RANDOM) == 3
    per_agent: dict[int, int] = {}
    for item in draw.items.all():
        per_agent[item.agent_id] = per_agent.get(item.agent_id, 0) + 1
        assert item.reviewer_id != item.agent_id
    assert min(per_agent.values()) >= 2
    # Another seed gives another (recorded) draw; a cycle is drawn once.
    with pytest.raises(DomainError):
        qs.sample_draw(actor=qa["qa1"], plan=plan, period=WEEK, seed=1)


def test_different_seeds_differ_and_same_seed_same_sample(qa: dict[str, Any], contacts: Any) -> None:
    _population(contacts)
    card = _card(qa)
    plan_a = _plan(qa, card, per_agent_minimum=0, percentage=50, stratify_by_channel=False)
    plan_b = _plan(qa, card, per_agent_minimum=0, percentage=50, stratify_by_channel=False)
    a = qs.sample_draw(actor=qa["qa1"], plan=plan_a, period=WEEK, seed=7)
    b = qs.sample_draw(actor=qa["qa1"], plan=plan_b, period=WEEK, seed=7)
    key = lambda d: sorted(d.items.values_list("source", "object_id"))  # noqa: E731
    assert key(a) == key(b) and len(key(a)) == 6


def test_cycle_period_weekly_biweekly_monthly(qa: dict[str, Any]) -> None:
    plan = _plan(qa, _card(qa))
    assert qs.cycle_period(plan, TUESDAY) == WEEK
    plan.cycle = "biweekly"
    assert qs.cycle_period(plan, TUESDAY) == (WEEK[0] - timedelta(days=7), WEEK[1])
    plan.cycle = "monthly"
    assert qs.cycle_period(plan, TUESDAY) == (
        datetime(2026, 10, 1, tzinfo=SH),
        datetime(2026, 11, 1, tzinfo=SH),
    )


def test_plan_refuses_bad_input(qa: dict[str, Any]) -> None:
    card = _card(qa)
    for bad in (
        {"percentage": 0},
        {"percentage": 101},
        {"sources": []},
        {"reviewers": []},
        {"cycle": "daily"},
    ):
        with pytest.raises(DomainError):
            _plan(qa, card, **bad)


# ------------------------------------------------------------------ reviews and the loop


def _reviewed(
    qa: dict[str, Any], contacts: Any, ratings: dict[str, int | None], submit: bool = True
) -> Review:
    contacts("ticket", "agent1", WEEK[0] + timedelta(hours=10))
    card = _card(qa, code=f"t{Scorecard.objects.count()}")
    plan = _plan(qa, card, reviewers=[qa["qa1"]], per_agent_minimum=1)
    draw = qs.sample_draw(actor=qa["qa1"], plan=plan, period=WEEK, seed=1)
    item = draw.items.get()
    review = qs.review_start(actor=qa["qa1"], item=item)
    with time_machine.travel(TUESDAY, tick=False):
        return qs.review_save(
            actor=qa["qa1"], review=review, answers=_answers(review, ratings), submit=submit
        )


def test_review_scores_and_needs_comments_on_deductions(qa: dict[str, Any], contacts: Any) -> None:
    review = _reviewed(qa, contacts, {"a": 10, "b": 9, "c": 6}, submit=False)
    assert review.score == Decimal("89.00") and review.grade == Grade.GOOD
    answers = _answers(review, {"a": 10, "b": 9, "c": 6}, comment="")
    with pytest.raises(DomainError, match="comment"):
        qs.review_save(actor=qa["qa1"], review=review, answers=answers, submit=True)
    with pytest.raises(DomainError):  # rating off the scale
        qs.review_save(actor=qa["qa1"], review=review, answers=_answers(review, {"a": 11}))
    # N/A on an N/A criterion: 50 + 30 of 80 applicable = 100
    with time_machine.travel(TUESDAY, tick=False):
        qs.review_save(actor=qa["qa1"], review=review, answers=_answers(review, {"c": None}), submit=True)
    review.refresh_from_db()
    assert review.score == Decimal("100.00") and review.state == ReviewState.SUBMITTED
    # 3 working days after Tuesday 24 Nov: Friday 27 Nov, close of business
    assert review.dispute_deadline.astimezone(SH).date().isoformat() == "2026-11-27"
    assert review.ticket.interactions.filter(data__quality_review=review.pk).exists()


def test_red_line_and_failed_criterion_start_the_loop(qa: dict[str, Any], contacts: Any) -> None:
    review = _reviewed(qa, contacts, {"a": 5, "rl": 0})
    assert review.red_line_failed and review.score == Decimal("0.00") and review.grade == Grade.POOR
    training = qs._training_for_failed_criteria(review)
    assert [(a.username, m) for a, m, _r in training] == [("agent1", "mod-a")]
    recheck = Recheck.objects.get(review=review)
    assert recheck.agent == qa["agent1"] and recheck.count == 5
    # The next cycle samples agent1's next contacts after the re-check, whatever the percentage.
    later = recheck.since + timedelta(days=7)
    for h in range(3):
        contacts("ticket", "agent1", later + timedelta(hours=h))
    contacts("ticket", "agent2", later)
    plan = _plan(qa, review.version.scorecard, percentage=1, per_agent_minimum=0, reviewers=[qa["qa2"]])
    period = (later - timedelta(days=1), later + timedelta(days=1))
    draw = qs.sample_draw(actor=qa["qa1"], plan=plan, period=period, seed=3)
    rechecked = draw.items.filter(pick=Pick.RECHECK)
    assert rechecked.count() == 3 and {i.agent_id for i in rechecked} == {qa["agent1"].pk}
    recheck.refresh_from_db()
    assert recheck.draw == draw
    assert qs.sample_verify(draw)


def test_nobody_reviews_their_own_contact(qa: dict[str, Any], contacts: Any) -> None:
    contacts("ticket", "qa2", WEEK[0] + timedelta(hours=1))
    plan = _plan(qa, _card(qa), reviewers=[qa["qa2"]], per_agent_minimum=1)
    item = qs.sample_draw(actor=qa["qa1"], plan=plan, period=WEEK, seed=1).items.get()
    assert item.reviewer_id is None
    with pytest.raises(DomainError):
        qs.review_start(actor=qa["qa2"], item=item)
    with pytest.raises(DomainError):
        qs.review_start(actor=qa["agent1"], item=item)


# ------------------------------------------------------------------ disputes (state machine as data)


@pytest.mark.parametrize(
    ("state", "action"), list(itertools.product(ReviewState.values, ReviewAction.values))
)
def test_every_transition(qa: dict[str, Any], state: str, action: str) -> None:
    card = _card(qa)
    review = Review.objects.create(
        version=qs.version_in_use(card), source="ticket", object_id=1, reviewer=qa["qa1"],
        occurred_at=TUESDAY, state=state,
    )  # fmt: skip
    target = REVIEW_TRANSITIONS.get((state, action))
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            qs._review_move(review, action, actor=qa["qa1"])
        review.refresh_from_db()
        assert review.state == state
    else:
        assert qs._review_move(review, action, actor=qa["qa1"]) == target
        review.refresh_from_db()
        assert review.state == target


def test_dispute_within_three_working_days_second_reviewer_decides(qa: dict[str, Any], contacts: Any) -> None:
    from herdesk.audit.models import AuditEntry
    from herdesk.notifications.models import Notification

    review = _reviewed(qa, contacts, {"a": 6})  # 30 + 30 + 20 = 80
    assert review.score == Decimal("80.00")
    with pytest.raises(DomainError):
        qs.review_dispute(actor=qa["agent2"], review=review, reason="不是我的")
    with pytest.raises(DomainError):
        qs.review_dispute(actor=qa["agent1"], review=review, reason=" ")
    with time_machine.travel(datetime(2026, 11, 27, 17, 0, tzinfo=SH), tick=False):
        dispute = qs.review_dispute(actor=qa["agent1"], review=review, reason="客户已确认解决，应给满分")
    review.refresh_from_db()
    assert review.state == ReviewState.DISPUTED
    texts = [n.data.get("text", "") for n in Notification.objects.filter(user=qa["qa2"])]
    assert any(f"QA-{review.pk}" in t for t in texts)
    with pytest.raises(DomainError):  # the first reviewer does not decide
        qs.dispute_decide(actor=qa["qa1"], review=review, decision="upheld", note="维持")
    with pytest.raises(DomainError):  # the agent does not decide
        qs.dispute_decide(actor=qa["agent1"], review=review, decision="upheld", note="维持")
    with pytest.raises(DomainError):  # an amendment brings the new ratings
        qs.dispute_decide(actor=qa["qa2"], review=review, decision="amended", note="改")
    dispute = qs.dispute_decide(
        actor=qa["qa2"],
        review=review,
        decision="amended",
        note="录音显示已解决",
        answers=_answers(review, {"a": 8}),
    )
    review.refresh_from_db()
    assert (
        review.state == ReviewState.FINAL
        and review.score == Decimal("90.00")
        and review.grade == Grade.EXCELLENT
    )
    assert dispute.original["score"] == "80.00" and dispute.decided_by == qa["qa2"]
    # "a" (training mod-a) still loses points (8 of 10): the re-check stays (full marks withdraw it).
    assert Recheck.objects.filter(review=review).exists()
    assert AuditEntry.objects.filter(action="quality.dispute_decide", object_id=str(review.pk)).exists()
    assert AuditEntry.objects.filter(action="quality.review_dispute", object_id=str(review.pk)).exists()


def test_dispute_after_the_window_is_refused_and_the_sweep_finalises(
    qa: dict[str, Any], contacts: Any
) -> None:
    review = _reviewed(qa, contacts, {"a": 6})
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=SH), tick=False):  # the next Monday
        with pytest.raises(DomainError, match="closed"):
            qs.review_dispute(actor=qa["agent1"], review=review, reason="晚了")
        assert qs.reviews_finalise_due() == 1
    review.refresh_from_db()
    assert review.state == ReviewState.FINAL


def test_agent_accepts(qa: dict[str, Any], contacts: Any) -> None:
    review = _reviewed(qa, contacts, {})
    with pytest.raises(DomainError):
        qs.review_accept(actor=qa["qa1"], review=review)
    qs.review_accept(actor=qa["agent1"], review=review)
    review.refresh_from_db()
    assert review.state == ReviewState.FINAL


# ------------------------------------------------------------------ calibration


def test_calibration_alpha_and_blindness(qa: dict[str, Any], contacts: Any) -> None:
    from herdesk.quality.selectors import calibration_alpha, reviews_visible_to

    t1 = contacts("ticket", "agent1", WEEK[0])
    t2 = contacts("ticket", "agent2", WEEK[0])
    card = _card(qa)
    session = qs.calibration_create(
        actor=qa["qa1"],
        title="11 月校准",
        version=qs.version_in_use(card),
        reviewers=[qa["qa1"], qa["qa2"], qa["qa3"]],
        items=[("ticket", t1.pk), ("ticket", t2.pk)],
    )
    items = list(session.items.all())
    ratings = {"qa1": [{"a": 10, "b": 8}, {"a": 4, "b": 6}], "qa2": [{"a": 9, "b": 8}, {"a": 5, "b": 6}],
               "qa3": [{"a": 10, "b": 7}, {"a": 3, "b": 5}]}  # fmt: skip
    first = None
    for name, per_item in ratings.items():
        for item, r in zip(items, per_item, strict=True):
            rv = Review(version=session.version)
            rev = qs.calibration_review(actor=qa[name], item=item, answers=_answers(rv, r))
            first = first or rev
    # Blind: qa2 does not see qa1's calibration review while the session is open.
    assert not reviews_visible_to(qa["qa2"]).filter(pk=first.pk).exists()
    result = calibration_alpha(session)
    assert result.units == 8 and result.overall is not None and 0.5 < result.overall <= 1
    assert set(result.per_reviewer) == {qa["qa1"].pk, qa["qa2"].pk, qa["qa3"].pk}
    closed = qs.calibration_close(actor=qa["qa1"], session=session)
    assert closed.alpha == result.overall
    assert reviews_visible_to(qa["qa2"]).filter(pk=first.pk).exists()
    # Calibration reviews never count for the agent.
    assert not reviews_visible_to(qa["agent1"]).exists()
    from herdesk.quality.selectors import agent_period, current_weights, period_parse

    w, t = current_weights()
    assert agent_period(qa["agent1"].pk, period_parse("2026-11"), w, t)["raw"]["qa_reviews"] == 0
    with pytest.raises(TransitionNotAllowed):
        qs.calibration_review(actor=qa["qa1"], item=items[0], answers={})


def test_sample_draw_recorded_on_the_audit_chain(qa: dict[str, Any], contacts: Any) -> None:
    from herdesk.audit.models import AuditEntry

    _population(contacts)
    plan = _plan(qa, _card(qa))
    draw = qs.sample_draw(actor=qa["qa1"], plan=plan, period=WEEK, seed=99)
    entry = AuditEntry.objects.get(action="quality.sample_draw")
    assert entry.data["seed"] == 99 and entry.data["draw"] == draw.pk
    assert SampleDraw.objects.get().params["percentage"] == "20.00"


def test_agent_rollup_and_weighted_scorecard(qa: dict[str, Any], contacts: Any) -> None:
    """Hand-computed: FCR 100, handling 60 min ≤ 240 target → 100, follow-up in time 0, ratings
    (5 + 3) / 2 = 4 → 75, supervisor 80; no clock finished, no QA review, no peer review:
    (15·100 + 10·100 + 10·0 + 15·75 + 5·80) / 55 = 4025 / 55 = 73.18 (良好)."""
    from herdesk.quality.rollup import agent_rollup_day
    from herdesk.quality.selectors import agent_period, current_weights, period_parse
    from herdesk.tickets.models import FollowUp, Ticket

    at = datetime(2026, 11, 24, 10, 0, tzinfo=SH)
    for score in (5, 3):
        t = contacts("ticket", "agent1", at)
        Ticket.objects.filter(pk=t.pk).update(received_at=at, resolved_at=at + timedelta(hours=1))
        FollowUp.objects.create(
            ticket=t,
            method="phone",
            fully_solved=True,
            score=score,
            recorded_by=qa["agent2"],
            recorded_at=at + timedelta(hours=2),
        )
    assert agent_rollup_day(at.date()) == 2
    qs.appraisal_record(
        actor=qa["cs_lead"], agent=qa["agent1"], period="2026-11", kind="supervisor", score=80, comment="好"
    )
    with pytest.raises(DomainError):
        qs.appraisal_record(
            actor=qa["tech1"], agent=qa["agent1"], period="2026-11", kind="peer", score=80, comment=""
        )
    w, target = current_weights()
    row = agent_period(qa["agent1"].pk, period_parse("2026-11"), w, target)
    v = row["values"]
    assert v["fcr"] == 100 and v["aht"] == 100 and v["follow_up"] == 0 and v["csat"] == 75
    assert v["on_time"] is None and v["qa"] is None and v["peer"] is None and v["supervisor"] == 80
    assert row["score"] == Decimal("73.18") and row["grade"] == Grade.GOOD
    assert row["raw"]["resolved"] == 2
    other = agent_period(qa["agent2"].pk, period_parse("2026-11"), w, target)
    assert other["raw"]["done"] == 2  # agent2 made both follow-ups
    with pytest.raises(DomainError):
        qs.weights_set(actor=qa["manager"], weights={"qa": 50})
    qs.weights_set(actor=qa["manager"], weights={"csat": 50, "supervisor": 50})
    w, target = current_weights()
    assert agent_period(qa["agent1"].pk, period_parse("2026-11"), w, target)["score"] == Decimal("77.50")


def test_quality_sweep_runs(qa: dict[str, Any]) -> None:
    with time_machine.travel(TUESDAY, tick=False):
        out = qs.quality_sweep()
    assert set(out) == {"finalised", "days"}


def test_demo_rows(qa: dict[str, Any], contacts: Any) -> None:
    from herdesk.quality.demo import quality_demo_ensure
    from herdesk.quality.models import InspectionPlan

    with time_machine.travel(TUESDAY, tick=False):
        contacts("ticket", "agent1", WEEK[0] + timedelta(hours=3))
        out = quality_demo_ensure(dict(qa), "herdesk-demo")
        again = quality_demo_ensure(dict(qa), "herdesk-demo")
    assert out["sampled"] == 1 and again["sampled"] == 0
    assert InspectionPlan.objects.get().draws.count() == 1


def test_amendment_to_full_marks_withdraws_the_recheck(qa: dict[str, Any], contacts: Any) -> None:
    review = _reviewed(qa, contacts, {"a": 6})
    assert Recheck.objects.filter(review=review).exists()
    with time_machine.travel(TUESDAY, tick=False):
        qs.review_dispute(actor=qa["agent1"], review=review, reason="满分")
    qs.dispute_decide(
        actor=qa["qa2"], review=review, decision="amended", note="改为满分", answers=_answers(review, {})
    )
    assert not Recheck.objects.filter(review=review).exists()


def test_a_failed_criterion_assigns_its_training_module_once(qa: dict[str, Any], contacts: Any) -> None:
    """The loop closed (issue #17): the criterion's module is assigned to the agent through
    training.services.assignment_create in the review's transaction; a module that does not exist
    leaves the review standing (the audit entry names it)."""
    from herdesk.training import services as tr
    from herdesk.training.models import Assignment

    tr.module_create(actor=qa["cs_lead"], code="mod-a", title="服务礼仪", materials="先问候后办理。")
    review = _reviewed(qa, contacts, {"a": 5})
    assigned = Assignment.objects.get(agent=qa["agent1"], module__code="mod-a")
    assert assigned.source_ref == f"quality.review:{review.pk}"
    qs._failure_loop(review, qa["qa1"])  # again (e.g. an amended review): no second assignment
    assert Assignment.objects.filter(agent=qa["agent1"], module__code="mod-a").count() == 1


def test_a_criterion_naming_no_module_leaves_the_review_standing(qa: dict[str, Any], contacts: Any) -> None:
    from herdesk.training.models import Assignment

    review = _reviewed(qa, contacts, {"a": 5})  # "mod-a" was never created
    assert review.state == ReviewState.SUBMITTED and not Assignment.objects.exists()


def test_demo_modules_match_the_scorecard_links() -> None:
    """Every training code a shipped scorecard criterion links to is a module of the demo
    curriculum, so the loop (a failed criterion assigns its module) works in the demo."""
    from herdesk.quality.templates_data import TEMPLATES
    from herdesk.training.demo import MODULES

    linked = {
        c["training"] for t in TEMPLATES for s in t["sections"] for c in s["criteria"] if c.get("training")
    }
    assert linked and linked <= {m["code"] for m in MODULES}
