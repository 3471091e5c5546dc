"""The layer contracts of docs/architecture/overview.md ([tool.importlinter] in pyproject.toml, run
by `make lint`): the code base keeps them, and a deliberate violation is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package (sources only) that a test may break."""
    dest = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "herdesk",
        dest / "herdesk",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "*.po", "static", "templates", "*.json"),
    )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_the_code_base_keeps_its_layers() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        # common is the bottom layer: it may not reach up into the clocks
        ("herdesk/common/probe.py", "from herdesk.clocks import services\n", "Layer order"),
        # a channel may not import another channel (shared pieces live in inbound/realtime)
        ("herdesk/phone/probe.py", "import herdesk.chat.services\n", "Channels do not import each other"),
        # nothing imports the UI layer — not even from inside a function
        (
            "herdesk/tickets/probe.py",
            "def f():\n    from herdesk.workspace import views\n",
            "Nothing imports the UI layer",
        ),
    ],
)
def test_a_deliberate_violation_fails(tree: Path, module: str, source: str, contract: str) -> None:
    probe = tree / module
    probe.write_text(source, encoding="utf-8")
    try:
        result = _lint(tree)
    finally:
        probe.unlink()
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert any(line.startswith(contract) for line in broken), result.stdout
