"""Reference and demo data: the company, its teams, staff, catalogue, categories and customers."""

from __future__ import annotations

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
