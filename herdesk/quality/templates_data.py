"""The scorecard templates shipped with Herdesk (installed by migration 0002 as version 1, in use).

* `seed-001-conduct` — 客户服务人员考核评分表, from S2 (客户服务人员行为准则手册) §6.2 and its four
  dimensions (service behaviour and attitude, competence, efficiency, quality and follow-up) with
  the record-keeping rules of §2.5 and customer-information confidentiality of §3.1: five sections,
  weights 25 + 25 + 20 + 15 + 15 = 100, two red lines (rudeness, leaking customer data).
* `seed-000-inspection` — 监督小组抽查表, from S1 (牧业公司客户服务规定) §五(一)1 and the promises
  it checks (§二(二): answer within 30 minutes, first-contact responsibility; §三(二): options
  offered; §三(三)2: follow-up within 3 working days).

Training module codes name the modules of herdesk.training (matched by code, no foreign key).
"""

from __future__ import annotations

from typing import Any

SEED_001: dict[str, Any] = {
    "code": "seed-001-conduct",
    "name": "客户服务人员考核评分表",
    "name_en": "Service staff assessment (S2 §6.2)",
    "description": "S2 §6.2：百分制，优秀 90–100、良好 70–89、一般 60–69、较差 60 分以下。",
    "sections": [
        {
            "name": "服务态度",
            "name_en": "Service attitude",
            "criteria": [
                {
                    "code": "greeting",
                    "name": "主动问候，使用礼貌用语",
                    "name_en": "Greets, polite language",
                    "weight": 10,
                    "scale": "0-4",
                    "training": "service-etiquette",
                },
                {
                    "code": "patience",
                    "name": "耐心倾听，热情友好，不打断客户",
                    "name_en": "Listens patiently",
                    "weight": 10,
                    "scale": "0-4",
                    "training": "service-etiquette",
                },
                {
                    "code": "no-rudeness",
                    "name": "无推诿、顶撞、辱骂客户（红线）",
                    "name_en": "No rudeness (red line)",
                    "weight": 5,
                    "scale": "0-1",
                    "red_line": True,
                    "training": "service-etiquette",
                },
            ],
        },
        {
            "name": "专业能力",
            "name_en": "Professional competence",
            "criteria": [
                {
                    "code": "accuracy",
                    "name": "解答准确，符合产品知识与公司政策",
                    "name_en": "Accurate answer",
                    "weight": 15,
                    "scale": "0-4",
                    "training": "product-knowledge",
                },
                {
                    "code": "process",
                    "name": "按服务流程操作（首问负责、分诊、转派）",
                    "name_en": "Follows the process",
                    "weight": 10,
                    "scale": "0-4",
                    "training": "service-process",
                },
            ],
        },
        {
            "name": "问题解决效率",
            "name_en": "Problem-solving efficiency",
            "criteria": [
                {
                    "code": "response",
                    "name": "按时响应（30 分钟 / 2 个工作小时）",
                    "name_en": "Responds on time",
                    "weight": 10,
                    "scale": "0-2",
                },
                {
                    "code": "resolution",
                    "name": "按承诺时限解决，或及时与客户重新约定",
                    "name_en": "Resolves on time",
                    "weight": 10,
                    "scale": "0-2",
                    "training": "service-process",
                },
            ],
        },
        {
            "name": "客户满意度",
            "name_en": "Customer satisfaction",
            "criteria": [
                {
                    "code": "confirmed",
                    "name": "解决方案经客户确认",
                    "name_en": "Solution confirmed by the customer",
                    "weight": 8,
                    "scale": "0-2",
                },
                {
                    "code": "satisfaction",
                    "name": "回访满意度",
                    "name_en": "Follow-up satisfaction",
                    "weight": 7,
                    "scale": "0-4",
                    "na": True,
                },
            ],
        },
        {
            "name": "服务记录",
            "name_en": "Record keeping",
            "criteria": [
                {
                    "code": "record",
                    "name": "记录完整（问题、方案、结果、回访）",
                    "name_en": "Complete record",
                    "weight": 10,
                    "scale": "0-4",
                    "training": "record-keeping",
                },
                {
                    "code": "privacy",
                    "name": "未泄露客户信息（红线）",
                    "name_en": "No customer data leaked (red line)",
                    "weight": 5,
                    "scale": "0-1",
                    "red_line": True,
                    "training": "privacy-basics",
                },
            ],
        },
    ],
}

SEED_000: dict[str, Any] = {
    "code": "seed-000-inspection",
    "name": "监督小组抽查表",
    "name_en": "Supervision group inspection (S1 §五(一)1)",
    "description": "S1 §五(一)1：定期抽查通话录音、在线聊天记录和服务记录，并回访客户。",
    "sections": [
        {
            "name": "接听与首问",
            "name_en": "Answering and first contact",
            "criteria": [
                {
                    "code": "answer",
                    "name": "30 分钟内首次响应",
                    "name_en": "First response within 30 minutes",
                    "weight": 10,
                    "scale": "0-2",
                },
                {
                    "code": "register",
                    "name": "核实身份并完整登记问题",
                    "name_en": "Identifies and records",
                    "weight": 10,
                    "scale": "0-2",
                    "training": "record-keeping",
                },
                {
                    "code": "ownership",
                    "name": "首问负责，跟踪到底",
                    "name_en": "First-contact ownership",
                    "weight": 10,
                    "scale": "0-2",
                    "training": "service-process",
                },
            ],
        },
        {
            "name": "沟通规范",
            "name_en": "Communication",
            "criteria": [
                {
                    "code": "phrases",
                    "name": "使用规范服务用语",
                    "name_en": "Standard service phrases",
                    "weight": 15,
                    "scale": "0-4",
                    "training": "service-etiquette",
                },
                {
                    "code": "no-rudeness",
                    "name": "态度恶劣、与客户争吵（红线）",
                    "name_en": "Rudeness (red line)",
                    "weight": 15,
                    "scale": "0-1",
                    "red_line": True,
                    "training": "service-etiquette",
                },
            ],
        },
        {
            "name": "处理与跟进",
            "name_en": "Handling and follow-up",
            "criteria": [
                {
                    "code": "options",
                    "name": "按规定提供解决方案供客户选择",
                    "name_en": "Offers solution options",
                    "weight": 20,
                    "scale": "0-4",
                    "training": "product-knowledge",
                },
                {
                    "code": "follow-up",
                    "name": "问题解决后 3 个工作日内回访",
                    "name_en": "Follow-up within 3 working days",
                    "weight": 20,
                    "scale": "0-2",
                    "na": True,
                },
            ],
        },
    ],
}

TEMPLATES = (SEED_001, SEED_000)


def install(models: Any, template: dict[str, Any]) -> None:
    """Create the template (version 1, in use) with the given model classes (the migration passes
    its historical models). Does nothing if the code exists."""
    from django.utils import timezone

    Scorecard, Version, Section, Criterion = models
    if Scorecard.objects.filter(code=template["code"]).exists():
        return
    card = Scorecard.objects.create(
        code=template["code"], name=template["name"], name_en=template["name_en"],
        description=template["description"],
    )  # fmt: skip
    version = Version.objects.create(scorecard=card, number=1, state="published", published_at=timezone.now(),
                                     note="seed")  # fmt: skip
    for i, s in enumerate(template["sections"], 1):
        section = Section.objects.create(version=version, position=i, name=s["name"], name_en=s["name_en"])
        for j, c in enumerate(s["criteria"], 1):
            Criterion.objects.create(
                section=section, position=j, code=c["code"], name=c["name"], name_en=c["name_en"],
                weight=c["weight"], scale=c["scale"], is_red_line=c.get("red_line", False),
                na_allowed=c.get("na", False), training_module_code=c.get("training", ""),
            )  # fmt: skip
