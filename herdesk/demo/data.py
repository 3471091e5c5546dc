"""Reference and demo data: the company, its teams, staff, catalogue, categories and customers."""

from __future__ import annotations

from typing import Any

TEAMS = [
    ("customer-service", "客户服务部", "Customer Service"),
    ("tech-support", "技术支持", "Technical Support"),
    ("after-sales", "售后服务", "After-sales Service"),
    ("sales-orders", "销售/订单", "Sales / Orders"),
    ("account-managers", "客户经理", "Account Managers"),
    ("supervision", "监督小组", "Supervision Group"),
]

DEMO_PASSWORD = "herdesk-demo"

# (username, display name, role, team code, is team lead)
STAFF = [
    ("agent1", "王晓燕", "agent", "customer-service", False),
    ("agent2", "李明", "agent", "customer-service", False),
    ("cs_lead", "张丽华", "supervisor", "customer-service", True),
    ("tech1", "赵工", "tech_engineer", "tech-support", True),
    ("tech2", "孙志强", "tech_engineer", "tech-support", False),
    ("field1", "周建国", "field_engineer", "after-sales", True),
    ("field2", "吴海", "field_engineer", "after-sales", False),
    ("sales1", "郑佳", "agent", "sales-orders", True),
    ("am1", "陈经理", "account_manager", "account-managers", True),
    ("qa1", "刘督导", "qa", "supervision", True),
    ("manager", "黄总", "management", None, False),
    ("admin", "系统管理员", "admin", None, False),
]

PRODUCTS = [
    ("milk-fresh", "鲜牛奶", "Fresh milk", "dairy", "950ml"),
    ("yogurt", "酸奶", "Yogurt", "dairy", "200g"),
    ("infant-formula", "婴幼儿奶粉", "Infant formula", "dairy", "一段 800g"),
    ("cheese", "奶酪", "Cheese", "dairy", "500g"),
    ("milking-machine", "挤奶机", "Milking machine", "equipment", "MK-300"),
    ("cooling-tank", "冷藏罐", "Milk cooling tank", "equipment", "CT-5000"),
    ("tmr-mixer", "TMR 搅拌车", "TMR mixer wagon", "equipment", "TMR-12"),
    ("filling-machine", "灌装机", "Filling machine", "equipment", "FL-80"),
    ("cold-chain-truck", "冷链车", "Cold-chain truck", "equipment", "CC-8T"),
]

CATEGORIES = [
    ("product_inquiry", "nutrition", "营养成分", "Nutrition"),
    ("product_inquiry", "shelf-life", "保质期与储存", "Shelf life and storage"),
    ("technical_support", "equipment-fault", "设备故障", "Equipment fault"),
    ("technical_support", "operation", "操作指导", "Operation guidance"),
    ("order_inquiry", "delivery", "配送进度", "Delivery status"),
    ("order_inquiry", "invoice", "发票", "Invoice"),
    ("after_sales", "installation", "安装", "Installation"),
    ("after_sales", "repair", "维修", "Repair"),
    ("complaint", "quality", "产品质量", "Product quality"),
    ("complaint", "service", "服务态度", "Service attitude"),
    ("suggestion", "product-idea", "产品建议", "Product idea"),
]

REGIONS = [
    "内蒙古 呼和浩特",
    "内蒙古 包头",
    "黑龙江 齐齐哈尔",
    "河北 石家庄",
    "山东 济南",
    "宁夏 银川",
    "新疆 昌吉",
    "甘肃 张掖",
    "北京 延庆",
    "上海 奉贤",
    "广东 广州",
    "四川 成都",
]

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志强",
    "海燕",
    "春梅",
    "国庆",
    "红梅",
]
FARM_WORDS = ["绿源", "草原", "金牛", "丰泽", "北辰", "康宁", "瑞丰", "天牧", "沃土", "晨光", "福乐", "青山"]

# Subjects by problem type; {p} is the product name.
SUBJECTS = {
    "product_inquiry": [
        "{p}的营养成分表在哪里查看",
        "{p}开封后能保存几天",
        "{p}适合乳糖不耐受人群吗",
        "请问{p}有没有无糖款",
    ],
    "technical_support": [
        "{p}故障：压力异常报警 ERR-123",
        "{p}启动后噪音很大",
        "{p}温度异常，制冷效果差",
        "{p}控制面板无响应",
        "冷链车 温度异常，车厢温度升到 9℃",
    ],
    "order_inquiry": ["订单 {o} 的配送进度", "订单 {o} 需要开具增值税发票", "订单 {o} 少发了两箱{p}"],
    "after_sales": [
        "新购{p}需要安装调试",
        "{p}需要上门维修",
        "{p}定期保养预约",
        "灌装机故障，需要工程师到场",
    ],
    "complaint": [
        "{p}有异味，要求退换",
        "配送员态度差，投诉",
        "{p}包装破损严重",
        "维修工程师未按约定时间到达",
    ],
    "suggestion": ["建议{p}推出小包装", "希望增加周末送货时段", "建议开通微信查询订单进度"],
}


# What a customer of each product family really writes, by problem type: (subject, description).
# {p} is the product name, {m} its model number, {o} an order number. A dairy product gets questions
# about nutrition and storage, a machine about faults and repairs — never "挤奶机适合乳糖不耐受人群吗"
# (#13: a visitor and the triage classifier both learn from these tickets).
REQUESTS = {
    "dairy": {
        "product_inquiry": [
            ("{p}开封后能保存几天", "想问一下{p}开封后放冰箱冷藏能放几天，需要尽快喝完吗？"),
            ("{p}的营养成分表在哪里看", "包装上的字太小，想知道每100克的蛋白质和钙含量。"),
            ("{p}适合乳糖不耐受人群吗", "家里老人乳糖不耐受，想确认{p}能不能喝，有没有无乳糖的款。"),
            ("请问{p}有没有无糖款", "孩子在控糖，想问{p}有没有无糖或低糖的。"),
        ],
        "order_inquiry": [
            ("订单 {o} 的配送进度", "订单 {o} 下单三天了还没收到，请帮忙查一下物流。"),
            ("订单 {o} 需要开具增值税发票", "公司采购的{p}，订单 {o}，请开增值税专用发票。"),
            ("订单 {o} 少发了两箱{p}", "今天签收时发现订单 {o} 少了两箱{p}，请补发。"),
        ],
        "complaint": [
            ("{p}有异味，要求退换", "昨天买的{p}打开有一股酸味，还在保质期内，要求退换并说明原因。"),
            ("{p}包装破损严重", "收到的{p}外箱压坏，好几盒漏了，要求补发。"),
            ("配送员态度差，投诉", "配送员把{p}扔在门口，打电话还很不耐烦，要求处理。"),
        ],
        "suggestion": [
            ("建议{p}推出小包装", "一个人喝不完大包装的{p}，建议出小包装。"),
            ("希望增加周末送货时段", "工作日白天家里没人，希望{p}能周末配送。"),
        ],
    },
    "equipment": {
        "product_inquiry": [
            ("{p} {m} 的技术参数", "牧场准备扩建，想了解{p} {m} 的产能、功率和占地尺寸。"),
            ("{p}有没有自动清洗功能", "想确认{p} {m} 是否带自动清洗程序，清洗剂怎么选。"),
        ],
        "technical_support": [
            ("{p}故障：压力异常报警 ERR-123", "{p} {m} 今天早上开始压力异常报警，显示 ERR-123，请远程指导。"),
            ("{p}启动后噪音很大", "{p} {m} 启动后有明显异响，像是电机或泵的问题，要不要先停机？"),
            ("{p}温度异常，制冷效果差", "{p} {m} 温度降不下来，显示 8℃，压缩机一直在转。"),
            ("{p}控制面板无响应", "{p} {m} 的控制面板按键全部没反应，电源灯是亮的。"),
        ],
        "order_inquiry": [
            ("{p} {m} 报价和交货期", "我们想再采购一台{p} {m}，请发报价并告知交货期。"),
            ("配件订单 {o} 的发货进度", "{p}的配件订单 {o} 什么时候发货？牧场等着用。"),
        ],
        "after_sales": [
            ("新购{p}需要安装调试", "新买的{p} {m} 已到货，请安排工程师上门安装调试并培训操作。"),
            ("{p}需要上门维修", "{p} {m} 远程指导后还是不行，请派工程师到现场维修。"),
            ("{p}定期保养预约", "{p} {m} 到了 500 小时保养周期，请约下周上门保养。"),
        ],
        "complaint": [
            ("维修工程师未按约定时间到达", "约好上午来修{p}，等到下午也没人来，也没有电话通知，影响挤奶。"),
            ("{p}修了三次还没修好", "{p} {m} 同一个故障已经修了三次，要求更换或给出彻底方案。"),
        ],
        "suggestion": [
            ("建议{p}报警代码显示中文", "{p} {m} 的报警只有代码，建议直接显示中文含义。"),
            ("希望{p}保养能提前提醒", "希望系统能在{p}保养到期前一周发短信提醒。"),
        ],
    },
}


def request_for(rng: Any, problem_type: str, products: list[Any], order: str) -> tuple[Any, str, str]:
    """A product that fits the problem type and a believable (subject, description) about it: a
    technical fault is about a machine, a shelf-life question about a dairy product."""
    families = [f for f in ("dairy", "equipment") if problem_type in REQUESTS[f]]
    fitting = [p for p in products if (p.kind if p.kind == "equipment" else "dairy") in families]
    product = rng.choice(fitting or products)
    family = "equipment" if product.kind == "equipment" else "dairy"
    subject, description = rng.choice(REQUESTS[family][problem_type])
    values = {"p": product.name, "m": product.model_number, "o": order}
    return product, subject.format(**values), description.format(**values)
