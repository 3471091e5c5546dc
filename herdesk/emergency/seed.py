"""The seeded contingency plans (seed 001 §7 "服务应急与突发事件处理"), loaded by the data migration
0002 and by `plans_seed()` (tests that flush the database, the demo). Supervisors edit them later.

Every plan follows the seed's flow (§7.1: 接收事件、评估风险、启动预案、执行处置、反馈结果、总结复盘),
its principles (§7.2: 以人为本、预防为主、快速响应、科学处置), its resources (§7.4: 客户服务人员、技术支持
人员、应急指挥人员) and its communication rules (§7.5: 信息透明、沟通及时).
"""

from __future__ import annotations

from typing import Any

HOTLINE = "400-800-1234"

# Level → (criteria, respond within minutes), shared wording with an event-specific scope.
_LEVELS = {
    1: ("特别重大：涉及人身健康安全或跨省大范围影响，需公司最高层指挥", 15),
    2: ("重大：跨地区影响或受影响客户超过 100 家，需分管领导指挥", 30),
    3: ("较大：单一地区影响，受影响客户 10–100 家，由客服中心主管指挥", 60),
    4: ("一般：影响个别客户，客服中心按常规流程处置并加强跟踪", 240),
}

# (title, duty, role, team code, from level)
_RESPONSIBILITIES = [
    ("应急指挥", "统一指挥，决定响应级别与对外口径，批准客户通知", "supervisor", "customer-service", 4),
    ("管理层", "重大事件决策、资源调配与对外发布审批", "management", "", 2),
    ("客服组", "接听来电、登记工单、按预批准口径答复客户", "agent", "customer-service", 4),
    ("技术支持", "排查原因、提供技术处置方案", "tech_engineer", "tech-support", 3),
    ("售后服务", "现场处置、设备检修与上门服务", "field_engineer", "after-sales", 3),
    ("客户经理", "逐一联系重点客户，跟进补偿与安抚", "account_manager", "account-managers", 2),
    ("监督小组", "记录处置过程，组织总结复盘", "qa", "supervision", 3),
]

_COMMON_STEPS_BEFORE = [
    ("接收事件：登记事件来源、时间与初步范围", "应急指挥", 4),
    ("评估风险：确认影响的产品、批次、地区与客户数量，确定响应级别", "应急指挥", 4),
    ("启动预案：通知应急小组成员，明确分工", "应急指挥", 4),
]
_COMMON_STEPS_AFTER = [
    ("反馈结果：按预批准口径通知受影响客户（信息透明、沟通及时）", "客服组", 4),
    ("向管理层报告处置进展", "应急指挥", 2),
    ("总结复盘：形成复盘报告与改进措施", "监督小组", 4),
]

PLANS: list[dict[str, Any]] = [
    {
        "code": "product-recall",
        "event_type": "product_recall",
        "name": "产品召回应急预案",
        "name_en": "Product recall plan",
        "description": "发现产品质量安全问题需要召回某一产品或批次时启动。以人为本：优先保障消费者健康。",
        "steps": [
            ("锁定召回产品与批次，通知仓储与物流停止发货", "应急指挥", 4),
            ("按批次检索相关工单与购买客户，批量关联到本事件", "客服组", 4),
            ("公布召回方式与退换渠道，开通专线", "客服组", 3),
            ("重点客户由客户经理逐一电话联系", "客户经理", 2),
        ],
        "customer_text": "【牧服】{title}：我们发现{product}（批次 {batch}）可能存在质量问题，"
        "请暂停食用/使用，"
        "我们将为您免费退换。咨询热线 {hotline}。",
    },
    {
        "code": "cold-chain",
        "event_type": "cold_chain",
        "name": "冷链故障应急预案",
        "name_en": "Cold-chain failure plan",
        "description": "冷链车、冷库或冷藏罐温度异常，可能影响产品品质时启动。",
        "steps": [
            ("导出温度记录，确认超温时段与受影响批次", "技术支持", 4),
            ("隔离受影响批次，安排质量部评估放行或销毁", "技术支持", 4),
            ("派工程师现场检修制冷设备", "售后服务", 3),
            ("通知受影响地区客户延迟交付或更换产品", "客服组", 3),
        ],
        "customer_text": "【牧服】{title}：{region}地区部分{product}（批次 {batch}）"
        "在运输中出现冷链温度异常，"
        "为保证品质我们将为您更换或延迟配送，请勿食用已收到的该批次产品。咨询热线 {hotline}。",
    },
    {
        "code": "disease-outbreak",
        "event_type": "disease_outbreak",
        "name": "区域疫病应急预案",
        "name_en": "Regional disease outbreak plan",
        "description": "某地区发生动物疫病，影响牧场生产、上门服务与配送时启动。",
        "steps": [
            ("确认疫区范围与防控要求，暂停疫区非必要上门服务", "应急指挥", 4),
            ("工程师执行生物安全规程（消毒、隔离间隔）", "售后服务", 4),
            ("通知疫区客户服务安排调整与防疫建议", "客服组", 3),
        ],
        "customer_text": "【牧服】{title}：{region}地区发生动物疫情，为做好防控，"
        "近期上门服务将按生物安全要求调整，"
        "紧急需求请致电 {hotline}。",
    },
    {
        "code": "system-outage",
        "event_type": "system_outage",
        "name": "系统故障应急预案",
        "name_en": "System outage plan",
        "description": "热线、在线客服、订单或工单系统故障，影响服务连续性时启动"
        "（《系统故障应急处理规范》）。",
        "steps": [
            ("切换备用热线与人工登记，确保服务不中断", "客服组", 4),
            ("技术支持定位故障并估计恢复时间", "技术支持", 4),
            ("在客户门户发布故障公告", "应急指挥", 3),
            ("系统恢复后补录期间登记的工单", "客服组", 4),
        ],
        "customer_text": "【牧服】{title}：我们的服务系统出现故障，正在紧急抢修，"
        "期间请拨打 {hotline} 联系我们，"
        "给您带来不便敬请谅解。",
    },
    {
        "code": "mass-complaint",
        "event_type": "mass_complaint",
        "name": "群体性投诉应急预案",
        "name_en": "Mass complaint plan",
        "description": "短时间内大量客户就同一问题投诉，或出现舆情时启动。",
        "steps": [
            ("汇总同类投诉，批量关联到本事件，统一口径", "客服组", 4),
            ("分析原因，制定解决方案与补偿标准", "应急指挥", 3),
            ("客户经理联系重点客户，监督小组跟踪舆情", "客户经理", 2),
        ],
        "customer_text": "【牧服】{title}：我们已收到您反映的问题并成立专项小组处理，将于 24 小时内给您答复。"
        "咨询热线 {hotline}。",
    },
]

STAFF_TEXT = "【应急】{incident} {title}（{level}级响应）已启动，请按预案分工立即到位。"
MANAGEMENT_TEXT = "【应急报告】{incident} {title}：{level}级响应已启动，处置进展将持续报告。"


def plan_rows(plan: dict[str, Any]) -> dict[str, list[Any]]:
    """The plan's levels, responsibilities, steps and templates as plain tuples."""
    steps = [*_COMMON_STEPS_BEFORE, *plan["steps"], *_COMMON_STEPS_AFTER]
    customer = plan["customer_text"]
    templates = [
        ("customers", "sms", "", customer),
        ("customers", "email", plan["name"].replace("应急预案", "通知"), customer),
        ("customers", "wechat", "", customer),
        ("staff", "sms", "", STAFF_TEXT),
        ("staff", "email", "应急响应启动", STAFF_TEXT),
        ("management", "sms", "", MANAGEMENT_TEXT),
        ("management", "email", "应急事件报告", MANAGEMENT_TEXT),
    ]
    return {
        "levels": [(lvl, crit, mins) for lvl, (crit, mins) in _LEVELS.items()],
        "responsibilities": _RESPONSIBILITIES,
        "steps": steps,
        "templates": templates,
    }


def plans_seed(get_model: Any = None) -> int:
    """Create the seeded plans that do not exist yet (by code); returns how many were created.
    `get_model(label)` is the migration's apps.get_model; by default the real models."""
    if get_model is None:
        from django.apps import apps

        get_model = apps.get_model
    Plan = get_model("emergency", "ContingencyPlan")
    Level = get_model("emergency", "PlanLevel")
    Resp = get_model("emergency", "PlanResponsibility")
    Step = get_model("emergency", "PlanStep")
    Tpl = get_model("emergency", "MessageTemplate")
    created = 0
    for p in PLANS:
        if Plan.objects.filter(code=p["code"]).exists():
            continue
        plan = Plan.objects.create(
            code=p["code"],
            event_type=p["event_type"],
            name=p["name"],
            name_en=p["name_en"],
            description=p["description"],
        )
        rows = plan_rows(p)
        Level.objects.bulk_create(
            [
                Level(plan=plan, level=lvl, criteria=c, respond_within_minutes=m)
                for lvl, c, m in rows["levels"]
            ]
        )
        Resp.objects.bulk_create(
            [
                Resp(plan=plan, title=t, duty=d, role=r, team_code=tc, max_level=ml, order=i)
                for i, (t, d, r, tc, ml) in enumerate(rows["responsibilities"])
            ]
        )
        Step.objects.bulk_create(
            [
                Step(plan=plan, order=i, text=t, owner=o, max_level=ml)
                for i, (t, o, ml) in enumerate(rows["steps"])
            ]
        )
        Tpl.objects.bulk_create(
            [Tpl(plan=plan, audience=a, channel=c, subject=s, body=b) for a, c, s, b in rows["templates"]]
        )
        created += 1
    return created
