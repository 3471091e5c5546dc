# ruff: noqa: E501 - article texts are data: one line per field reads best
"""Demo knowledge base for `herdesk demo load`: categories, reviewers, the dairy synonym dictionary
and a set of realistic articles, written, reviewed by someone else and published through the
services (so the demo has real timelines and audit entries). Idempotent."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from herdesk.catalog.models import Product
from herdesk.staff.models import User

from .models import ArticleVersion, KbCategory, SynonymGroup
from .services import (
    article_approve,
    article_create,
    article_publish,
    article_submit,
    category_ensure,
    synonym_group_save,
)

# (code, name, English name, parent code, reviewers)
CATEGORIES = [
    ("technical-support", "技术支持", "Technical support", None, ["tech1"]),
    ("milking", "挤奶设备", "Milking equipment", "technical-support", []),
    ("cooling", "冷藏与冷链", "Cooling and cold chain", "technical-support", []),
    ("feeding", "TMR 饲喂", "TMR feeding", "technical-support", []),
    ("herd-health", "牛群健康", "Herd health", "technical-support", []),
    ("after-sales", "售后与维修", "After-sales and repair", None, ["field1"]),
    ("product-inquiry", "产品咨询", "Products", None, []),
    ("product-quality", "产品质量", "Product quality", "product-inquiry", []),
    ("order-inquiry", "订单与配送", "Orders and delivery", None, []),
    ("complaint", "投诉处理", "Complaints", None, []),
]

SYNONYMS = [
    "乳房炎 = 乳腺炎",
    "体细胞数 = 体细胞 = SCC",
    "胀包 = 胀袋 = 胀杯 = 胀盒",
    "TMR = 全混合日粮",
    "挤奶机 = 挤奶设备",
    "冷藏罐 = 奶罐 = 储奶罐",
    "真空度 = 真空压力",
    "酸奶 = 发酵乳",
    "奶粉 = 乳粉",
    "冷链车 = 冷藏车",
]

# (category, audience, kind, scope, tags, title, symptom, cause, solution, steps)
ARTICLES: list[dict[str, Any]] = [
    {
        "category": "milking",
        "audience": "customers",
        "problem_type": "technical_support",
        "product": "milking-machine",
        "equipment_model": "MK-300",
        "tags": ["挤奶机", "真空"],
        "title": "挤奶机真空度不足、挤奶杯脱落（MK-300）",
        "symptom": "挤奶过程中真空表读数低于 42 kPa，挤奶杯频繁脱落，挤奶时间明显变长。",
        "cause": "常见原因：真空泵皮带松弛；集乳器进气孔堵塞；真空调节器积尘；管路接头或脉动器胶管老化漏气。",
        "solution": "检查并张紧真空泵皮带，清洁调节器与进气孔，更换老化胶管后真空度恢复到 44–46 kPa。",
        "steps": "1. 停机，关闭真空泵电源。\n2. 检查皮带张紧度（按压下沉 10–15 mm）。\n3. 拆下真空调节器滤网，用清水冲洗晾干。\n"
        "4. 逐段检查脉动管与长奶管，有裂纹立即更换。\n5. 开机空载运行 5 分钟，确认真空表稳定在 44–46 kPa。",
    },
    {
        "category": "milking",
        "audience": "internal",
        "problem_type": "technical_support",
        "product": "milking-machine",
        "equipment_model": "MK-300",
        "tags": ["挤奶机", "报警", "ERR"],
        "title": "MK-300 控制面板报警 ERR-123（脉动频率异常）",
        "symptom": "控制面板显示 ERR-123，脉动器声音不均匀，部分牛位挤奶杯无节奏抖动。",
        "cause": "脉动控制板检测到频率超出 55–65 次/分钟；多为脉动器电磁阀积垢或控制线接触不良。",
        "solution": "清洗脉动器电磁阀、紧固控制线端子，恢复出厂脉动参数 60 次/分钟、比率 60:40。",
        "steps": "1. 记录报警时间与牛位号。\n2. 断电后拆下对应脉动器，用温水与专用清洗剂清洗电磁阀。\n"
        "3. 检查控制线端子并紧固。\n4. 在面板“维护 → 脉动参数”恢复默认值。\n5. 若 24 小时内再次报警，安排售后上门更换控制板。",
    },
    {
        "category": "herd-health",
        "audience": "customers",
        "problem_type": "technical_support",
        "season": "summer",
        "tags": ["乳房炎", "体细胞", "夏季"],
        "title": "夏季体细胞数（SCC）升高与乳房炎预防",
        "symptom": "奶站检测体细胞数连续两周超过 40 万/mL，个别牛乳汁有絮状物，乳区红肿。",
        "cause": "高温高湿季节环境性病原菌繁殖快；卧床垫料潮湿；挤奶前后药浴不到位；挤奶设备过度挤奶损伤乳头。",
        "solution": "加强挤奶前药浴与前三把奶检查、每日更换干燥垫料、对临床型乳房炎牛隔离挤奶并在兽医指导下治疗。",
        "steps": "1. 每头牛挤奶前药浴 30 秒并擦干。\n2. 挤前三把奶观察有无絮状物（CMT 检测可疑牛）。\n3. 挤奶后立即后药浴。\n"
        "4. 卧床垫料每日翻新，保持干燥。\n5. 体细胞数超过 50 万的牛只单独挤奶、单独存放，奶不得混入大罐。",
    },
    {
        "category": "cooling",
        "audience": "customers",
        "problem_type": "technical_support",
        "product": "cooling-tank",
        "equipment_model": "CT-5000",
        "tags": ["冷藏罐", "温度"],
        "title": "冷藏罐（CT-5000）降温慢，2 小时内达不到 4 ℃",
        "symptom": "挤奶结束 2 小时后罐内奶温仍高于 4 ℃，压缩机持续运转，冷凝器出风很热。",
        "cause": "冷凝器散热片积尘或被遮挡；夏季机房通风不良；制冷剂不足；搅拌器未开启导致局部温度高。",
        "solution": "清洁冷凝器散热片、改善机房通风，确认搅拌器按程序运行；仍不达标时由售后检测制冷剂压力。",
        "steps": "1. 断电后用软毛刷或压缩空气清洁冷凝器散热片。\n2. 移开冷凝器周围 1 米内的杂物。\n3. 检查搅拌器是否每 15 分钟运转 2 分钟。\n"
        "4. 记录降温曲线（每 30 分钟一次）。\n5. 4 小时仍高于 4 ℃，联系售后检测制冷剂并评估奶品是否可交售。",
    },
    {
        "category": "cooling",
        "audience": "internal",
        "problem_type": "after_sales",
        "tags": ["冷链", "温度异常", "运输"],
        "title": "冷链车运输途中温度异常的处理",
        "symptom": "冷链车温度记录仪报警，车厢温度超过 6 ℃ 持续 30 分钟以上。",
        "cause": "车门频繁开启、制冷机组故障、装载过满阻挡出风口或预冷不足。",
        "solution": "立即联系司机确认机组状态并就近停靠检查；导出温度记录，评估受影响批次，按质量部意见隔离或放行。",
        "steps": "1. 联系司机，确认制冷机组运行与车门状态。\n2. 导出温度记录仪数据（含报警起止时间）。\n3. 通知质量部评估批次。\n"
        "4. 需要隔离的批次贴标隔离并通知客户延迟交付。\n5. 在工单中上传温度记录作为附件。",
    },
    {
        "category": "feeding",
        "audience": "customers",
        "problem_type": "technical_support",
        "product": "tmr-mixer",
        "equipment_model": "TMR-12",
        "tags": ["TMR", "搅拌"],
        "title": "TMR 搅拌车混合不均匀，牛只挑食",
        "symptom": "饲槽中粗饲料与精料分层，牛只挑食，剩料中长草偏多。",
        "cause": "装料顺序不当；搅拌时间过长或过短；干草切割长度超过 5 cm；搅拌绞龙刀片磨损。",
        "solution": "按“干草 → 青贮 → 精料 → 液体料”的顺序装料，加完最后一种料后再搅拌 3–5 分钟；刀片磨损超过 1/3 时更换。",
        "steps": "1. 核对装料顺序与配方。\n2. 干草预先切至 3–5 cm。\n3. 最后一种料加入后搅拌 3–5 分钟，避免过度搅拌。\n"
        "4. 用宾州筛检测颗粒分布。\n5. 检查刀片磨损，必要时预约售后更换。",
    },
    {
        "category": "after-sales",
        "audience": "customers",
        "problem_type": "after_sales",
        "product": "milking-machine",
        "equipment_model": "MK-300",
        "tags": ["保养", "挤奶机"],
        "title": "挤奶设备定期保养计划（每日 / 每周 / 每 2500 小时）",
        "symptom": "客户询问挤奶机需要多久保养一次、哪些部件需要定期更换。",
        "cause": "",
        "solution": "按厂家保养计划执行：每日清洗管路，每周检查胶管与皮带，每运行 2500 小时或 6 个月更换内衬与脉动器膜片。",
        "steps": "1. 每日：挤奶后碱洗、酸洗交替，水温 75 ℃ 以上。\n2. 每周：检查胶管、皮带、真空表。\n"
        "3. 每 2500 小时：更换奶杯内衬、脉动器膜片。\n4. 每年：售后上门做真空系统检测并出具报告。",
    },
    {
        "category": "after-sales",
        "audience": "internal",
        "problem_type": "after_sales",
        "product": "filling-machine",
        "equipment_model": "FL-80",
        "tags": ["灌装机", "故障"],
        "title": "灌装机（FL-80）灌装量不准、封口漏液",
        "symptom": "灌装量偏差超过 ±2%，部分包装封口处漏液。",
        "cause": "计量泵活塞密封圈磨损；封口加热温度偏低；包材批次厚度变化。",
        "solution": "更换计量泵密封圈并重新标定；按包材批次调整封口温度（一般 180–200 ℃）。",
        "steps": "1. 停机并排空物料。\n2. 更换计量泵密封圈。\n3. 用标准量杯连续标定 10 次。\n4. 调整封口温度并抽检 20 包做挤压测试。",
    },
    {
        "category": "product-quality",
        "audience": "public",
        "problem_type": "product_inquiry",
        "product": "yogurt",
        "tags": ["胀包", "酸奶", "储存"],
        "title": "酸奶胀包是什么原因？还能喝吗？",
        "symptom": "买回的酸奶包装鼓起（胀包、胀杯），打开有气体冒出或有酒味、异味。",
        "cause": "多为运输或储存时脱离冷链（高于 6 ℃），杂菌或酵母产气；也可能是包装破损。",
        "solution": "胀包产品请不要食用。保留包装和购买凭证，在客户门户提交请求，我们会在核实后为您退换，并追查该批次的冷链记录。",
        "steps": "1. 停止食用，不要丢弃包装。\n2. 拍下包装正面、生产日期和批号。\n3. 在门户“提交服务请求”，上传照片。\n4. 客服会在 30 分钟内联系您安排退换。",
    },
    {
        "category": "product-quality",
        "audience": "public",
        "problem_type": "product_inquiry",
        "product": "milk-fresh",
        "tags": ["鲜奶", "储存", "保质期"],
        "title": "鲜牛奶如何储存？开封后能放多久？",
        "symptom": "客户询问鲜牛奶的储存温度和开封后的保存时间。",
        "cause": "",
        "solution": "鲜牛奶需 2–6 ℃ 冷藏，未开封在保质期内饮用；开封后请密封冷藏并在 24 小时内喝完。",
        "steps": "1. 购买后尽快放入冰箱冷藏室（不要放门架上）。\n2. 开封后盖紧瓶盖。\n3. 出现结块、酸味时请勿饮用。",
    },
    {
        "category": "product-quality",
        "audience": "public",
        "problem_type": "product_inquiry",
        "product": "infant-formula",
        "tags": ["奶粉", "冲调", "结块"],
        "title": "婴幼儿奶粉冲调结块、溶解慢怎么办",
        "symptom": "冲调一段奶粉时出现结块，瓶底有未溶解颗粒。",
        "cause": "水温过高（超过 70 ℃）或过低；先放奶粉后加水；奶粉受潮。",
        "solution": "用 40–50 ℃ 温开水，先加水后加奶粉，水平转动奶瓶溶解；开罐后 4 周内用完并放在干燥处。",
        "steps": "1. 将水烧开后冷却至 40–50 ℃。\n2. 先按刻度加水，再用专用勺加入平勺奶粉。\n3. 双手水平搓动奶瓶，不要上下剧烈摇晃。\n4. 如奶粉已受潮结块，请保留罐底批号联系我们。",
    },
    {
        "category": "order-inquiry",
        "audience": "customers",
        "problem_type": "order_inquiry",
        "tags": ["订单", "配送", "物流"],
        "title": "订单配送时间与物流查询",
        "symptom": "客户询问订单何时送达、如何查询物流。",
        "cause": "",
        "solution": "常温产品下单后 48 小时内发货，低温产品按冷链线路配送（城区次日达）。在门户“我的请求”中提供订单号即可查询。",
        "steps": "1. 准备订单号（下单短信中）。\n2. 在门户提交“订单咨询”请求。\n3. 客服在 4 小时内回复物流状态。",
    },
    {
        "category": "complaint",
        "audience": "internal",
        "problem_type": "complaint",
        "tags": ["投诉", "异物"],
        "title": "产品异物投诉的受理与调查流程",
        "symptom": "客户投诉在产品中发现异物（如塑料片、毛发）。",
        "cause": "",
        "solution": "按重大投诉处理：1 个工作日内联系客户并取回样品，3 个工作日内给出调查进展，5 个工作日内给出结论与补偿方案。",
        "steps": "1. 记录批号、购买地点、照片。\n2. 安抚客户，说明处理时限。\n3. 安排取回样品，送质量部检测。\n4. 每个节点在工单中更新进展。\n5. 结论经主管审核后告知客户。",
    },
    {
        "category": "herd-health",
        "audience": "internal",
        "problem_type": "technical_support",
        "season": "winter",
        "tags": ["冬季", "饮水", "产奶量"],
        "title": "冬季饮水温度低导致产奶量下降",
        "symptom": "入冬后牛群单产下降 1–2 kg，饮水量减少。",
        "cause": "饮水温度低于 10 ℃，牛只饮水不足；水槽结冰。",
        "solution": "使用恒温水槽将水温保持在 12–18 ℃，每日检查水槽是否结冰。",
        "steps": "1. 检查水槽加热器。\n2. 每日两次测量水温。\n3. 记录饮水量与单产变化。",
    },
    {
        "category": "cooling",
        "audience": "customers",
        "problem_type": "technical_support",
        "product": "cooling-tank",
        "equipment_model": "CT-5000",
        "tags": ["冷藏罐", "清洗"],
        "title": "冷藏罐自动清洗（CIP）报警：水温不足",
        "symptom": "冷藏罐清洗程序中断，面板提示 CIP 水温不足。",
        "cause": "热水器温度设定低于 75 ℃；进水管路过长散热；热水器功率不足。",
        "solution": "将热水器设定到 80 ℃，缩短或保温进水管路；清洗开始时水温必须达到 75 ℃。",
        "steps": "1. 检查热水器设定温度。\n2. 对进水管加装保温套。\n3. 重新启动 CIP 程序并观察水温曲线。",
    },
]


def _user(users: dict[str, Any], name: str) -> Any:
    return users.get(name) or User.objects.get(username=name)


@transaction.atomic
def kb_demo_ensure(users: dict[str, Any] | None = None) -> int:
    """Categories, reviewers, synonyms and published articles; returns how many articles were added."""

    users = users or {}
    cats: dict[str, KbCategory] = {}
    for position, (code, name, name_en, parent, reviewers) in enumerate(CATEGORIES):
        cat = category_ensure(
            code=code, name=name, name_en=name_en, parent=cats.get(parent or ""), position=position
        )
        if reviewers:
            cat.reviewers.set([_user(users, r) for r in reviewers])
        cats[code] = cat
    admin = _user(users, "admin")
    if not SynonymGroup.objects.exists():
        for terms in SYNONYMS:
            synonym_group_save(actor=admin, terms=terms)
    products = {p.code: p.pk for p in Product.objects.all()}
    added = 0
    for spec in ARTICLES:
        if ArticleVersion.objects.filter(title=spec["title"]).exists():
            continue
        technical = spec["category"] in ("milking", "cooling", "feeding", "herd-health")
        after_sales = spec["category"] == "after-sales"
        author = _user(users, "tech2" if technical else "field2" if after_sales else "agent1")
        reviewer = _user(users, "tech1" if technical else "field1" if after_sales else "cs_lead")
        meta = {
            "kind": "faq",
            "category": cats[spec["category"]].pk,
            "audience": spec["audience"],
            "problem_type": spec.get("problem_type", ""),
            "product": products.get(spec.get("product", "")),
            "equipment_model": spec.get("equipment_model", ""),
            "season": spec.get("season", ""),
            "customer_tier": "",
            "tags": spec.get("tags", []),
        }
        content = {k: spec[k] for k in ("title", "symptom", "cause", "solution", "steps")}
        article = article_create(actor=author, content=content, meta=meta)
        article_submit(actor=author, article=article)
        article_approve(actor=reviewer, article=article, comment="内容准确，同意发布。")
        article_publish(actor=reviewer, article=article)
        added += 1
    return added
