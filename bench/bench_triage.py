"""Automatic triage figures (#15): held-out accuracy, food-safety precision/recall, `triage suggest`
latency per ticket, and training time on 50,000 tickets. Prints a Markdown table.

    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python bench/bench_triage.py [--train 50000]

The 50,000 training texts are the starter set's examples, each rewritten many times the way the same
request reaches the centre (a phone note's prefix, an e-mail's greeting, a WeChat message's
abbreviation, an order number, a farm's name) — the size and wording spread of a year's tickets.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

PREFIXES = [
    "",
    "客户来电：",
    "客户来电反映，",
    "微信留言：",
    "您好，",
    "尊敬的客服：",
    "在线咨询：",
    "急！",
    "hi ",
]
SUFFIXES = ["", "，谢谢", "。请尽快回复", "，麻烦了", "！！", "。此致", "，在线等", " thx", "，电话联系我"]
FARMS = ["绿源牧场", "草原牧业", "金牛奶站", "丰泽牧场", "北辰农场", "康宁乳业", "瑞丰牧场", "天牧合作社"]


def variants(n: int, seed: int = 1) -> tuple[list[str], list[str]]:
    from herdesk.triage import dataset

    rng = random.Random(seed)
    base = dataset.load("starter")
    texts, labels = [], []
    for i in range(n):
        e = base[i % len(base)]
        text = rng.choice(PREFIXES) + e.text + rng.choice(SUFFIXES)
        if rng.random() < 0.3:
            text = f"{rng.choice(FARMS)}：{text}"
        if rng.random() < 0.2:
            text += f" 订单DD{rng.randint(10**7, 10**8)}"
        texts.append(text)
        labels.append(e.problem_type)
    return texts, labels


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=50000)
    args = parser.parse_args()
    import django

    django.setup()
    from herdesk.triage import classifier, dataset
    from herdesk.triage.services import LabelledText, evaluate, food_safety_evaluate

    rows = []
    starter = [LabelledText(e.text, e.problem_type) for e in dataset.load("starter")]
    heldout_examples = dataset.load("heldout")
    heldout = [LabelledText(e.text, e.problem_type) for e in heldout_examples]
    result = evaluate(starter, heldout)
    fs = food_safety_evaluate(heldout_examples)
    rows.append(
        (
            "top-1 problem type on the shipped held-out set (150, never trained on)",
            f"{result['accuracy']:.3f}",
        )
    )
    rows.append(("macro-F1 on the held-out set", f"{result['macro_f1']:.3f}"))
    rows.append(
        (
            "food-safety precision / recall (held-out, 12 positives)",
            f"{fs['precision']:.3f} / {fs['recall']:.3f}",
        )
    )

    # `herdesk triage suggest --jsonl` end to end: a real process, one JSON line in, one out, timed per line.
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "triage", "suggest", "--jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdin and proc.stdout
    latencies = []
    texts = [e.text for e in heldout_examples] * 4
    for i, text in enumerate(texts):
        started = time.perf_counter()
        proc.stdin.write(
            json.dumps({"id": i, "channel": "wechat", "subject": text, "description": ""}, ensure_ascii=False)
            + "\n"
        )
        proc.stdin.flush()
        proc.stdout.readline()
        latencies.append((time.perf_counter() - started) * 1000)
    proc.stdin.close()
    proc.wait()
    warm = latencies[20:]
    p95 = statistics.quantiles(warm, n=20)[18]
    rows.append(
        (
            f"`triage suggest --jsonl` per ticket, p50 / p95 over {len(warm)} lines",
            f"{statistics.median(warm):.2f} / {p95:.2f} ms",
        )
    )

    big_texts, big_labels = variants(args.train)
    started = time.perf_counter()
    cpu = time.process_time()
    model = classifier.train(big_texts, big_labels)
    rows.append(
        (
            f"training on {args.train:,} tickets (vectorise + fit), wall / CPU",
            f"{time.perf_counter() - started:.1f} / {time.process_time() - cpu:.1f} s",
        )
    )
    acc = sum(
        p.label == e.problem_type
        for p, e in zip(model.predict([h.text for h in heldout_examples]), heldout_examples, strict=True)
    )
    rows.append((f"held-out top-1 of that {args.train:,}-ticket model", f"{acc / len(heldout_examples):.3f}"))

    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
