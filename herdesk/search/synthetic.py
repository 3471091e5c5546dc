"""Deterministic synthetic ticket texts for the search benchmark and tests (no ORM here).

Texts read like a dairy company's service tickets and contain the benchmark's query words at
known rates (INJECT), together with near misses that a word index or a bigram index would
wrongly match (灌装机的电机故障, 灌装机 故障, ERR-12 3, ERR_123), case and width variants that
must match (Err-123, ＥＲＲ－１２３, ERR-1234), and internal notes with the same words (never
searchable). The true counts are always established by brute force, never taken from the rates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Product names as the reference catalogue has them (herdesk.demo.data.PRODUCTS), "name model".
PRODUCTS = [
    "鲜牛奶 950ml",
    "酸奶 200g",
    "婴幼儿奶粉 一段 800g",
    "奶酪 500g",
    "挤奶机 MK-300",
    "冷藏罐 CT-5000",
    "TMR 搅拌车 TMR-12",
    "灌装机 FL-80",
    "冷链车 CC-8T",
]
ISSUES = [
    "包装破损", "胀袋", "口感偏酸", "有异味", "临近保质期", "配送延迟", "真空压力低", "不出料", "漏液",
    "电机过热", "传感器失灵", "温度偏高", "压缩机异响", "计量不准", "屏幕黑屏", "无法启动", "密封圈老化",
    "发票抬头错误", "少发两箱", "物流信息不更新", "奶牛采食量下降", "挤奶杯脱落",
]  # fmt: skip
PLACES = [
    "呼和浩特",
    "包头",
    "齐齐哈尔",
    "石家庄",
    "济南",
    "银川",
    "昌吉",
    "张掖",
    "延庆",
    "奉贤",
    "广州",
    "成都",
]
CLAUSES = [
    "客户来电反映{issue}", "{place}牧场报告{issue}", "今天早上发现{issue}", "已经持续{n}天",
    "影响{n}头牛的挤奶", "订单号 SO{order}", "批次号 B{order}", "设备显示报警代码 {code}",
    "客户希望尽快安排工程师上门", "已指导客户重启设备但问题依旧", "客户要求退换货并赔偿运费",
    "请技术支持远程诊断", "现场照片已通过微信发送", "客户情绪较急，请优先处理", "上次维修后{n}周再次出现",
    "经销商代为报修", "需要确认是否在保修期内", "客户询问{issue}的原因", "已登记并告知预计处理时间",
    "联系电话已核实",
]  # fmt: skip
CODES = ["E-01", "E-17", "W-33", "ERR-201", "ERR-12", "ERR-124", "ERR-312", "F-123", "ERR123X"]
REPLIES = [
    "您好，您反映的问题已收到，我们将在 4 小时内给出初步方案。",
    "工程师已出发，预计明天上午到达现场。",
    "请您拍摄设备铭牌照片发送给我们，谢谢配合。",
    "已为您安排补发，物流单号稍后短信通知。",
    "经远程诊断，建议先更换密封圈，费用在保修范围内。",
    "请问问题是否已经解决？如有其他需要请随时联系。",
]

# (phrases, probability per ticket): the benchmark queries' words, then their near misses.
INJECT: list[tuple[list[str], float]] = [
    (["酸奶胀袋", "购买的酸奶口感发酸", "酸奶配送延迟", "老酸奶临近保质期", "酸奶机不加热"], 0.06),
    (["灌装机故障报警", "灌装机故障停机", "FL-80灌装机故障", "灌装机故障，封口不严"], 0.005),
    (["灌装机的电机故障", "灌装机 故障", "灌装机出现故障", "装机故障"], 0.005),
    (["冷链车", "冷链车车厢漏风", "两台冷链车"], 0.02),
    (["温度异常", "车厢温度异常", "冷藏温度异常"], 0.02),
    (["冷链车温度异常", "温度异常，冷链车已返厂", "冷链车运输途中温度异常"], 0.004),
    (["冷链 车", "温度 异常", "冷链运输车"], 0.005),
    (["ERR-123", "err-123", "Err-123", "ERR-1234", "ＥＲＲ－１２３", "报警ERR-123"], 0.002),
    (["ERR-12 3", "ERR-124", "ERR_123", "err 123", "ERR－12"], 0.003),
]

BENCH_QUERIES = ["酸奶", "灌装机故障", "冷链车 温度异常", "err-123"]


@dataclass
class SyntheticTicket:
    subject: str
    description: str
    product: str
    replies: list[str] = field(default_factory=list)  # public interactions after the first
    note: str = ""  # an internal note (never searchable), or ""


def synthetic_ticket(rng: random.Random, boost: float = 1.0) -> SyntheticTicket:
    """One ticket's texts. `boost` multiplies the injection rates (tests use small corpora)."""
    issue = rng.choice(ISSUES)
    product = rng.choice(PRODUCTS)
    subject = f"{product.split()[0]}{issue}"
    clauses = [
        c.format(
            issue=rng.choice(ISSUES),
            place=rng.choice(PLACES),
            n=rng.randint(1, 30),
            order=rng.randint(100000, 999999),
            code=rng.choice(CODES),
        )
        for c in rng.sample(CLAUSES, rng.randint(4, 10))
    ]
    replies = [rng.choice(REPLIES) for _ in range(rng.choice((0, 1, 1, 2, 3)))]
    note = "内部备注：疑似批次问题，待质检确认" if rng.random() < 0.05 else ""
    for phrases, p in INJECT:
        p = min(1.0, p * boost)
        if rng.random() < p:
            phrase, where = rng.choice(phrases), rng.random()
            if where < 0.3:
                subject = phrase + subject
            elif where < 0.8:
                clauses.insert(rng.randrange(len(clauses) + 1), phrase)
            elif where < 0.93 or not replies:
                replies.append(f"客户补充：{phrase}")
            else:
                replies[-1] += phrase
        if rng.random() < p / 3:  # the same words in an internal note must NOT be found
            note = f"内部备注：{rng.choice(phrases)}"
    return SyntheticTicket(subject[:200], "，".join(clauses) + "。", product, replies, note)
