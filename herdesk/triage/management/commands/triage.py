"""`herdesk triage train | evaluate | suggest --jsonl` (#15)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from herdesk.tickets.choices import ProblemType
from herdesk.triage import dataset, services

MAX_FIELD = 20000


class Command(BaseCommand):
    help = "Automatic triage: train the classifier, evaluate it, or suggest for JSON lines on stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser(
            "train", help="Train on the starter set and this installation's triaged tickets"
        )
        train.add_argument("--starter-only", action="store_true", help="Ignore the installation's tickets")
        sub.add_parser("evaluate", help="Time split: train on older tickets, test on the newest 20 %%")
        suggest = sub.add_parser("suggest", help="Read JSON lines on stdin, write one suggestion per line")
        suggest.add_argument("--jsonl", action="store_true", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"_{opts['action']}")(opts)

    def _train(self, opts: dict[str, Any]) -> None:
        steps = ["calibrate", "vectorise", "fit", "store"]
        started = time.perf_counter()
        with tqdm(total=len(steps), desc="triage train", unit="step", file=sys.stderr) as bar:

            def progress(step: str) -> None:
                bar.set_postfix_str(step)
                bar.update(1)

            row = services.triage_train(progress=progress, with_tickets=not opts["starter_only"])
        self.stdout.write(
            f"model v{row.pk}: {row.examples} examples ({row.from_tickets} from tickets), "
            f"abstain below {row.threshold:.2f}, cross-validated accuracy {row.metrics['cv_accuracy']:.3f}, "
            f"{time.perf_counter() - started:.1f} s"
        )

    def _evaluate(self, opts: dict[str, Any]) -> None:
        result = services.triage_evaluate()
        self.stdout.write(f"split: {result['split']}  train {result['train']}  test {result['test']}")
        self.stdout.write(f"accuracy {result['accuracy']:.3f}  macro-F1 {result['macro_f1']:.3f}")
        self.stdout.write(f"{'class':<20}{'precision':>10}{'recall':>10}{'f1':>8}{'n':>6}")
        for label, m in result["per_class"].items():
            self.stdout.write(
                f"{label:<20}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>8.3f}{m['support']:>6}"
            )
        classes = list(result["confusion"])
        self.stdout.write("confusion (rows: actual, columns: predicted)")
        self.stdout.write(" " * 20 + "".join(f"{c[:8]:>10}" for c in classes))
        for a in classes:
            self.stdout.write(
                f"{a:<20}" + "".join(f"{result['confusion'][a].get(p, 0):>10}" for p in classes)
            )
        fs = services.food_safety_evaluate(dataset.load("heldout"))
        self.stdout.write(
            f"food-safety flag on the shipped held-out set: precision {fs['precision']:.3f} "
            f"recall {fs['recall']:.3f} ({fs['positives']:.0f} positives)"
        )

    def _suggest(self, opts: dict[str, Any]) -> None:
        """One JSON line out per good line in; a malformed line is reported on stderr, the rest answered."""
        bad = 0
        valid_types = set(ProblemType.values)
        for lineno, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("a JSON object is required / 需要 JSON 对象")
                subject, description = item.get("subject", ""), item.get("description", "")
                if not isinstance(subject, str) or not isinstance(description, str):
                    raise ValueError(
                        "subject and description must be strings / subject 和 description 必须是字符串"
                    )
                if not (subject or description).strip():
                    raise ValueError("subject or description is required / 需要 subject 或 description")
            except ValueError as exc:
                bad += 1
                self.stderr.write(f"line {lineno}: {exc}")
                continue
            s = services.suggest_text(subject=subject[:MAX_FIELD], description=description[:MAX_FIELD])
            assert s.problem_type in valid_types
            out = {
                "id": item.get("id"),
                "problem_type": s.problem_type,
                "team": s.team_code,
                "confidence": round(s.confidence, 4),
                "food_safety": s.food_safety,
            }
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            self.stdout.flush()
        if bad:
            raise CommandError(f"{bad} malformed line(s) / 有 {bad} 行格式错误", returncode=2)
