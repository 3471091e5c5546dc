"""The shape checks of issue 21 that import-linter cannot express, run by `make lint` (and by
herdesk/ops/tests/test_shape.py, so the normal suite fails too):

1. No product module (outside tests and migrations) is over MAX_LINES lines; a module that must be
   longer is listed in LONG_MODULES with its reason.
2. A `herdesk` import inside a function (absolute `herdesk.…` or relative) carries a reason: a
   comment in its import group (the run of import, comment and blank lines it stands in), e.g.
   "# cycle: tickets.services imports this module". Hoist it to the top of the module when there is
   no reason. Exempt: `ready()` of an `apps.py` (Django loads apps.py before the models exist; that
   is where an app registers itself).

Usage: python tools/check_shape.py [ROOT]   (exit status 1 and one line per offender)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_LINES = 800
# path (relative to the package root's parent) -> why it may be longer. Keep it empty.
LONG_MODULES: dict[str, str] = {}


def product_modules(root: Path) -> list[Path]:
    return [
        p
        for p in sorted((root / "herdesk").rglob("*.py"))
        if "tests" not in p.relative_to(root).parts and "migrations" not in p.relative_to(root).parts
    ]


def long_modules(root: Path) -> list[str]:
    out = []
    for p in product_modules(root):
        rel = p.relative_to(root).as_posix()
        n = len(p.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES and rel not in LONG_MODULES:
            out.append(f"{rel}: {n} lines (more than {MAX_LINES}: split it by responsibility)")
    return out


def _is_herdesk(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return bool(node.level) or (node.module or "").split(".")[0] == "herdesk"
    return any(a.name.split(".")[0] == "herdesk" for a in node.names)


def _group_has_comment(lines: list[str], node: ast.Import | ast.ImportFrom, imports: set[int]) -> bool:
    """A comment on the import's own lines, or on a line of its group: the contiguous lines around
    it that are imports, comments or blank."""
    if any("#" in lines[i - 1] for i in range(node.lineno, (node.end_lineno or node.lineno) + 1)):
        return True
    for step in (-1, 1):
        i = node.lineno if step < 0 else (node.end_lineno or node.lineno)
        while True:
            i += step
            if i < 1 or i > len(lines):
                break
            text = lines[i - 1].strip()
            if text.startswith("#"):
                return True
            if text and i not in imports:
                break
    return False


def unexplained_function_imports(root: Path) -> list[str]:
    out = []
    for p in product_modules(root):
        src = p.read_text(encoding="utf-8")
        tree = ast.parse(src)
        lines = src.splitlines()
        import_lines: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                import_lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        rel = p.relative_to(root).as_posix()
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if fn.name == "ready" and p.name == "apps.py":
                continue
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Import | ast.ImportFrom)
                    and _is_herdesk(node)
                    and not _group_has_comment(lines, node, import_lines)
                ):
                    what = ast.unparse(node)
                    out.append(f"{rel}:{node.lineno}: {what}  (in {fn.name}: hoist it, or say why not)")
    return sorted(set(out), key=lambda line: (line.split(":")[0], int(line.split(":")[1])))


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1]
    problems = long_modules(root) + unexplained_function_imports(root)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} shape problem(s): see tools/check_shape.py")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
