"""Benchmark of knowledge-base suggestions (KB-2): top-3 hit rate and latency on a labelled set.

Loads the demo knowledge base (herdesk.kb.demo: 15 reviewed dairy articles, 10 synonym groups)
plus --filler generated articles on related subjects (distractors sharing vocabulary), then asks
`herdesk.kb.suggest.suggest` for each labelled request below, as an agent would see it (all
audiences, scope from the ticket's product) and as the portal would (public/customer articles, the
description only). A hit is the expected article among the first three suggestions.

    DATABASE_URL=sqlite:////tmp/herdesk_bench_kb.sqlite3 .venv/bin/python bench/bench_kb.py --filler 300

The labelled set was written by hand from the way customers and agents phrase requests (colloquial
words, synonyms such as 乳腺炎/乳房炎, 胀袋/胀包, 真空压力/真空度, models such as MK-300), not
from the article texts.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/herdesk_bench_kb.sqlite3")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

# (request text, product code or "", expected article title prefix, portal-visible?)
LABELLED: list[tuple[str, str, str, bool]] = [
    ("挤奶机真空压力低，杯子老掉", "milking-machine", "挤奶机真空度不足", True),
    ("MK-300 挤奶杯脱落，挤一头牛要很久", "milking-machine", "挤奶机真空度不足", True),
    ("真空表只有 38kPa 是怎么回事", "", "挤奶机真空度不足", True),
    ("挤奶设备真空泵皮带松了吗 声音不对", "milking-machine", "挤奶机真空度不足", True),
    ("面板报警 ERR-123", "milking-machine", "MK-300 控制面板报警", False),
    ("脉动器声音不均匀，面板显示报警代码", "milking-machine", "MK-300 控制面板报警", False),
    ("脉动频率不对 挤奶杯乱抖", "", "MK-300 控制面板报警", False),
    ("奶站说我们体细胞数超标了", "", "夏季体细胞数", True),
    ("SCC 连续两周超过 40 万", "", "夏季体细胞数", True),
    ("好几头牛乳腺炎，乳区红肿", "", "夏季体细胞数", True),
    ("牛奶里有絮状物，怀疑乳房炎", "", "夏季体细胞数", True),
    ("奶罐降温太慢，两个小时还没到 4 度", "cooling-tank", "冷藏罐（CT-5000）降温慢", True),
    ("储奶罐压缩机一直转，奶温下不来", "cooling-tank", "冷藏罐（CT-5000）降温慢", True),
    ("CT-5000 制冷效果差 冷凝器很烫", "cooling-tank", "冷藏罐（CT-5000）降温慢", True),
    ("冷藏车温度报警 超过 6 度半小时", "", "冷链车运输途中温度异常", False),
    ("运输途中车厢温度异常，温度记录仪报警", "", "冷链车运输途中温度异常", False),
    ("冷链车制冷机组坏了 货怎么办", "", "冷链车运输途中温度异常", False),
    ("TMR 搅拌不匀，牛挑食", "tmr-mixer", "TMR 搅拌车混合不均匀", True),
    ("全混合日粮分层，剩料里长草多", "", "TMR 搅拌车混合不均匀", True),
    ("搅拌车刀片磨损了，饲料混合不好", "tmr-mixer", "TMR 搅拌车混合不均匀", True),
    ("挤奶机多久保养一次", "milking-machine", "挤奶设备定期保养计划", True),
    ("奶杯内衬多久换", "milking-machine", "挤奶设备定期保养计划", True),
    ("挤奶设备年检 真空系统检测", "", "挤奶设备定期保养计划", True),
    ("灌装量不准，偏差很大", "filling-machine", "灌装机（FL-80）灌装量不准", False),
    ("FL-80 封口漏液", "filling-machine", "灌装机（FL-80）灌装量不准", False),
    ("买的酸奶胀袋了还能喝吗", "yogurt", "酸奶胀包", True),
    ("发酵乳盖子鼓起来了，有酒味", "", "酸奶胀包", True),
    ("酸奶胀杯 要求退换", "yogurt", "酸奶胀包", True),
    ("鲜奶开封后能放几天", "milk-fresh", "鲜牛奶如何储存", True),
    ("牛奶要放冰箱吗 保质期多久", "milk-fresh", "鲜牛奶如何储存", True),
    ("奶粉冲不开有结块", "infant-formula", "婴幼儿奶粉冲调结块", True),
    ("宝宝奶粉溶解慢 瓶底有颗粒", "infant-formula", "婴幼儿奶粉冲调结块", True),
    ("乳粉受潮结块了怎么办", "", "婴幼儿奶粉冲调结块", True),
    ("我的订单什么时候到", "", "订单配送时间与物流查询", True),
    ("查一下物流 下单三天了还没发货", "", "订单配送时间与物流查询", True),
    ("牛奶里喝出塑料片", "", "产品异物投诉", False),
    ("产品里有头发 我要投诉", "", "产品异物投诉", False),
    ("冬天牛喝水少 产奶量下降", "", "冬季饮水温度低", False),
    ("水槽结冰了 单产掉了 2 公斤", "", "冬季饮水温度低", False),
    ("冷藏罐清洗报警 水温不足", "cooling-tank", "冷藏罐自动清洗（CIP）报警", True),
    ("CIP 程序中断 热水不够热", "cooling-tank", "冷藏罐自动清洗（CIP）报警", True),
]

FILLER_SUBJECTS = [
    "挤奶厅",
    "奶牛",
    "牛舍",
    "饲料",
    "青贮",
    "冷藏",
    "运输",
    "包装",
    "奶粉",
    "酸奶",
    "鲜奶",
    "设备",
    "保养",
    "订单",
]
FILLER_PROBLEMS = [
    "通风不良",
    "地面湿滑",
    "噪音偏大",
    "耗电增加",
    "说明书遗失",
    "配件订购",
    "发票开具",
    "培训预约",
    "参观申请",
    "价格咨询",
    "门店查询",
    "积分兑换",
    "包装回收",
    "颜色偏黄",
    "口感偏酸",
]


def _filler(n: int, staff: dict) -> None:
    from herdesk.kb.models import KbCategory
    from herdesk.kb.services import (
        article_approve,
        article_create,
        article_publish,
        article_submit,
        can_review,
    )

    rng = random.Random(20261207)
    cats = [c for c in KbCategory.objects.all() if can_review(staff["cs_lead"], c)]
    for i in range(n):
        subject, problem = rng.choice(FILLER_SUBJECTS), rng.choice(FILLER_PROBLEMS)
        cat = rng.choice(cats)
        article = article_create(
            actor=staff["agent1"],
            content={
                "title": f"{subject}{problem}的处理（{i}）",
                "symptom": f"客户反映{subject}{problem}，需要说明。",
                "solution": f"按规定处理{subject}{problem}：记录情况，告知客户处理时限。",
            },
            meta={"category": cat.pk, "audience": rng.choice(["internal", "customers", "public"])},
        )
        article_submit(actor=staff["agent1"], article=article)
        article_approve(actor=staff["cs_lead"], article=article)
        article_publish(actor=staff["cs_lead"], article=article)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filler", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--results", default="")
    parser.add_argument(
        "--compare",
        default="",
        help="a git revision: also time that revision's herdesk/kb/suggest.py, interleaved, in the same run",
    )
    args = parser.parse_args()

    from django.contrib.auth.models import AnonymousUser

    from herdesk.catalog.models import Product
    from herdesk.demo.services import _staff, reference_data_ensure
    from herdesk.kb.demo import kb_demo_ensure
    from herdesk.kb.models import Article
    from herdesk.kb.suggest import suggest

    call_command("migrate", verbosity=0)
    reference_data_ensure()
    staff = _staff()
    kb_demo_ensure(staff)
    have = Article.objects.count()
    if have < 15 + args.filler:
        _filler(15 + args.filler - have, staff)
    total = Article.objects.filter(published__isnull=False).count()
    products = dict(Product.objects.values_list("code", "pk"))
    agent = staff["agent1"]
    anon = AnonymousUser()
    suggest(user=agent, text="预热")  # jieba's dictionary loads once per process (≈1 s)
    impls = [("current", suggest)]
    if args.compare:
        baseline = _suggest_at(args.compare)
        baseline(user=agent, text="预热")
        impls.insert(0, (args.compare, baseline))
    rows = []
    for label, fn in impls:
        rows += _measure(label, fn, agent, anon, products, args.repeat)
    _report(rows, total, args)


def _suggest_at(rev: str) -> Any:
    """`suggest` as it was at git revision `rev` (its module compiled under herdesk.kb, so its
    relative imports resolve), for a side-by-side run on the same data and the same load."""
    import types

    src = subprocess.run(
        ["git", "show", f"{rev}:herdesk/kb/suggest.py"], capture_output=True, text=True, check=True
    ).stdout
    mod = types.ModuleType("herdesk.kb._suggest_baseline")
    mod.__package__ = "herdesk.kb"
    sys.modules[mod.__name__] = mod  # dataclasses look their module up there
    exec(compile(src, f"{rev}:herdesk/kb/suggest.py", "exec"), mod.__dict__)
    return mod.suggest


def _measure(label: str, suggest: Any, agent: Any, anon: Any, products: dict, repeat: int) -> list[tuple]:
    from herdesk.kb.choices import Audience
    from herdesk.kb.suggest import Scope

    rows = []
    for who in ("agent", "portal"):
        hits1 = hits3 = asked = 0
        times: list[float] = []
        misses = []
        for text, product, expected, public in LABELLED:
            if who == "portal" and not public:
                continue
            asked += 1
            scope = Scope(product_id=products.get(product)) if who == "agent" else Scope()
            user = agent if who == "agent" else anon
            audiences = None if who == "agent" else [Audience.CUSTOMERS, Audience.PUBLIC]
            for _ in range(repeat):
                t0 = time.perf_counter()
                got = suggest(user=user, text=text, scope=scope, limit=3, audiences=audiences)
                times.append((time.perf_counter() - t0) * 1000)
            titles = [s.title for s in got]
            if titles and titles[0].startswith(expected):
                hits1 += 1
            if any(t.startswith(expected) for t in titles):
                hits3 += 1
            else:
                misses.append(f"{text} → {titles[:1]}")
        rows.append(
            (f"{who} ({label})", asked, hits1, hits3, statistics.median(times), _pct(times, 0.95), misses)
        )
    return rows


def _report(rows: list[tuple], total: int, args: Any) -> None:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    load = os.getloadavg()[0]
    lines = [
        f"\n## Knowledge-base suggestions (bench/bench_kb.py) — {now:%Y-%m-%d %H:%M} Asia/Shanghai\n",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, load average {load:.1f}; "
        f"{os.environ['DATABASE_URL'].split(':')[0]}; commit {commit}; {total} published articles "
        f"(15 demo + {total - 15} generated distractors); {len(LABELLED)} labelled requests; "
        f"each timed {args.repeat}×"
        + (f"; {args.compare} and the current code timed in the same run" if args.compare else "")
        + ".\n",
        "| caller | requests | top-1 hit | top-3 hit | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for who, asked, h1, h3, p50, p95, _misses in rows:
        rate1, rate3 = f"{h1 / asked:.0%} ({h1})", f"{h3 / asked:.0%} ({h3})"
        lines.append(f"| {who} | {asked} | {rate1} | {rate3} | {p50:.1f} | {p95:.1f} |")
    for who, *_rest, misses in rows:
        if misses:
            lines.append(f"\nTop-3 misses ({who}): " + "; ".join(misses))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.results:
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
