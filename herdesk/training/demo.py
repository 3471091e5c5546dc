# ruff: noqa: E501 - module texts and questions are data: one line per item reads best
"""Demo training for `herdesk demo load` (STF-2): the onboarding curriculum of seed 000 §(二)1 and
seed 001 §5 (服务礼仪, 产品知识, 投诉处理, 工单系统, 隐私保护) with exams, a held case-sharing session and
a scheduled training, a mentor, and a new agent in onboarding. Through the services; idempotent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from herdesk.staff.models import User
from herdesk.staff.services import user_create

from .models import Module, OnboardingPlan, TrainingSession
from .services import (
    assignment_create,
    exam_create,
    module_create,
    onboarding_start,
    question_add,
    session_attendance_record,
    session_schedule,
)

# code, title, summary, materials, onboarding, exam (title, kind, pass mark, questions). The codes are
# the ones the shipped scorecards' criteria link to (quality/templates_data.py), so a failed
# criterion in the demo assigns a real module (tests: test_demo_modules_match_the_scorecard_links).
# question: (kind, prompt, points, [(choice, correct)], guidance)
MODULES: list[dict[str, Any]] = [
    {
        "code": "service-etiquette",
        "title": "服务礼仪与沟通技巧",
        "summary": "接听规范、文明用语、倾听与情绪管理（手册 1.3、1.5）",
        "materials": "1. 电话铃响三声内接听，使用标准问候语：“您好，牧服客服中心，请问有什么可以帮您？”\n2. 先倾听、再确认、后处理；复述客户诉求并确认。\n3. 禁止使用“不知道”“不归我管”等推诿用语。\n4. 客户情绪激动时保持语气平和，先安抚情绪，再解决问题。\n5. 结束通话前确认客户没有其他问题，待客户先挂机。",
        "onboarding": True,
        "exam": (
            "服务礼仪理论考试",
            "theory",
            80,
            [
                (
                    "single",
                    "电话铃响后应在几声内接听？",
                    2,
                    [("三声内", True), ("五声内", False), ("十声内", False)],
                    "",
                ),
                (
                    "multiple",
                    "以下哪些属于服务禁语？",
                    2,
                    [("不知道", True), ("不归我管", True), ("请您稍等，我马上为您查询", False)],
                    "",
                ),
                (
                    "single",
                    "通话结束时应当？",
                    1,
                    [("确认无其他问题，待客户先挂机", True), ("说完立即挂断", False)],
                    "",
                ),
                (
                    "text",
                    "客户因配送延误情绪激动，请写出您的安抚与处理话术。",
                    5,
                    [],
                    "先致歉并表示理解（2 分），说明核实安排与预计时间（2 分），留下回访承诺（1 分）。",
                ),
            ],
        ),
    },
    {
        "code": "product-knowledge",
        "title": "产品知识",
        "summary": "乳制品与牧业设备的基础知识（鲜奶、酸奶、奶粉；挤奶机、冷藏罐、TMR）",
        "materials": "鲜牛奶须 2–6℃ 冷藏，开封后 48 小时内饮用。\n酸奶出现胀包属于质量问题，应按质量投诉受理并登记批次号。\n婴幼儿奶粉按月龄分段，一段适合 0–6 个月。\n冷藏罐贮奶温度应在 4℃ 以下；挤奶机真空压力异常先检查脉动器与管路。",
        "onboarding": True,
        "exam": (
            "产品知识考试",
            "theory",
            80,
            [
                (
                    "single",
                    "鲜牛奶的冷藏温度是？",
                    2,
                    [("2–6℃", True), ("8–12℃", False), ("常温", False)],
                    "",
                ),
                (
                    "single",
                    "一段婴幼儿奶粉适合的月龄是？",
                    2,
                    [("0–6 个月", True), ("6–12 个月", False), ("1–3 岁", False)],
                    "",
                ),
                (
                    "multiple",
                    "客户反映酸奶胀包，应当？",
                    2,
                    [("按质量投诉受理", True), ("登记批次号", True), ("告知属于正常现象", False)],
                    "",
                ),
            ],
        ),
    },
    {
        "code": "complaints",
        "title": "投诉处理",
        "summary": "投诉受理、分级、时限与回访（规定 §三、手册 3.3）",
        "materials": "投诉 24 小时内响应并给出处理方案；重大投诉立即上报主管。\n受理时记录客户诉求、证据与期望；处理后回访确认满意度。\n涉及食品安全的投诉优先处理并按应急流程上报。",
        "onboarding": True,
        "exam": (
            "投诉处理实践考核",
            "practice",
            70,
            [
                (
                    "single",
                    "一般投诉应在多长时间内响应？",
                    2,
                    [("24 小时内", True), ("3 个工作日内", False), ("一周内", False)],
                    "",
                ),
                (
                    "multiple",
                    "受理投诉时应记录哪些信息？",
                    2,
                    [("客户诉求", True), ("证据", True), ("客户期望", True), ("客服个人意见", False)],
                    "",
                ),
                (
                    "text",
                    "模拟：客户投诉奶粉有异物，请写出受理与上报步骤。",
                    4,
                    [],
                    "安抚并致歉、登记批次与照片证据、按食品安全流程立即上报、承诺回访时限。",
                ),
            ],
        ),
    },
    {
        "code": "service-process",
        "title": "工单系统使用",
        "summary": "牧服工单：受理、查收确认、转派、解决与关闭",
        "materials": "1. 来电受理后 15 分钟内查收确认。\n2. 转派时写明要求与期望响应时间。\n3. 解决后请客户确认，再关闭工单。",
        "onboarding": True,
        "exam": None,
    },
    {
        "code": "record-keeping",
        "title": "服务记录规范",
        "summary": "工单记录的完整与及时：问题、方案、结果、回访（手册 2.5）",
        "materials": "1. 受理时完整登记客户身份、问题现象、产品与批次。\n2. 每次联系客户后当日记录沟通内容与承诺。\n3. 解决后写明方案与结果，回访后记录客户评价。",
        "onboarding": False,
        "exam": None,
    },
    {
        "code": "privacy-basics",
        "title": "隐私保护与信息安全",
        "summary": "客户个人信息的查看、使用与保密（规定 §(二)1、手册 3.1）",
        "materials": "客户手机号、住址属于个人信息，仅在处理其请求时查看；不得截屏外传。\n核实身份后方可告知订单信息。",
        "onboarding": True,
        "exam": (
            "信息安全行为考核",
            "behaviour",
            100,
            [
                (
                    "single",
                    "陌生来电询问某客户的住址，应当？",
                    1,
                    [("核实身份前不予告知", True), ("直接告知", False)],
                    "",
                ),
                (
                    "multiple",
                    "以下哪些属于客户个人信息？",
                    1,
                    [("手机号码", True), ("住址", True), ("公司公开电话", False)],
                    "",
                ),
            ],
        ),
    },
]


def _user(users: dict[str, Any], username: str) -> Any:

    return users.get(username) or User.objects.get(username=username)


@transaction.atomic
def training_demo_ensure(users: dict[str, Any] | None = None, *, password: str = "") -> int:
    """The demo curriculum, sessions, a mentor and a trainee (`trainee1`, signing in with
    `password`) in onboarding; returns how many modules were added."""

    users = users or {}
    lead = _user(users, "cs_lead")
    added = 0
    for spec in MODULES:
        if Module.objects.filter(code=spec["code"]).exists():
            continue
        m = module_create(
            actor=lead,
            code=spec["code"],
            title=spec["title"],
            summary=spec["summary"],
            materials=spec["materials"],
            required_for_onboarding=spec["onboarding"],
        )
        if spec["exam"]:
            title, kind, pass_mark, questions = spec["exam"]
            exam = exam_create(actor=lead, module=m, title=title, kind=kind, pass_mark=pass_mark)
            for qkind, prompt, points, choices, guidance in questions:
                question_add(
                    actor=lead,
                    exam=exam,
                    kind=qkind,
                    prompt=prompt,
                    points=points,
                    choices=choices,
                    guidance=guidance,
                )
        added += 1
    # A QA finding assigned the complaints module to agent2 (the quality loop's entry point).
    assignment_create(
        agent=_user(users, "agent2"),
        module_code="complaints",
        reason="质检复核：投诉处理流程不完整",
        source_ref="demo:qa",
        actor=_user(users, "qa1"),
    )
    # This month's case-sharing session (held, agent1 attended) and next week's training.
    if not TrainingSession.objects.exists():
        now = timezone.localtime()
        first = timezone.make_aware(datetime.combine(now.date().replace(day=1), time(15)))
        held_at = first if first < now else now - timedelta(hours=2)
        s = session_schedule(
            actor=lead,
            title="投诉处理优秀案例分享",
            kind="case_sharing",
            starts_at=held_at,
            location="客服中心三楼会议室",
            materials="案例：酸奶胀包投诉 24 小时内闭环，客户回访满意。",
            module=Module.objects.filter(code="complaints").first(),
            invitees=[_user(users, "agent1"), _user(users, "agent2"), _user(users, "sales1")],
        )
        session_attendance_record(
            session=s, actor=lead, attended=[_user(users, "agent1").pk, _user(users, "sales1").pk]
        )
        session_schedule(
            actor=lead,
            title="新品知识培训：A2 鲜牛奶",
            kind="training",
            starts_at=timezone.make_aware(datetime.combine(now.date() + timedelta(days=7), time(14))),
            location="线上会议",
            invitees=[_user(users, u) for u in ("agent1", "agent2", "sales1", "am1")],
        )
    # A new agent in onboarding with agent1 as mentor.
    from herdesk.staff.models import Team, User

    trainee = User.objects.filter(username="trainee1").first()
    if trainee is None:
        trainee = user_create(
            username="trainee1",
            password=password or None,
            role="agent",
            team=Team.objects.get(code="customer-service"),
            display_name="陈晨",
        )
    if not OnboardingPlan.objects.filter(agent=trainee).exists():
        onboarding_start(
            agent=trainee, starts_on=timezone.localdate(), actor=lead, mentor=_user(users, "agent1")
        )
    return added
