"""The shape checks of tools/check_shape.py (also run by `make lint`): no product module over 800
lines, no `herdesk` import inside a function without a reason comment; and each check fails on a
deliberate violation."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_shape", ROOT / "tools" / "check_shape.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_code_base_has_the_shape() -> None:
    check = _checker()
    assert check.long_modules(ROOT) == []
    assert check.unexplained_function_imports(ROOT) == []


def test_a_long_module_and_an_unexplained_import_are_found(tmp_path: Path) -> None:
    check = _checker()
    app = tmp_path / "herdesk" / "app"
    app.mkdir(parents=True)
    (app / "long.py").write_text("x = 1\n" * 801, encoding="utf-8")
    (app / "lazy.py").write_text(
        "def f():\n"
        "    from herdesk.tickets.models import Ticket\n\n"
        "    return Ticket\n\n\n"
        "def g():\n"
        "    # cycle: tickets.models imports this module\n"
        "    from herdesk.tickets.models import Ticket\n\n"
        "    return Ticket\n\n\n"
        "def h():\n"
        "    from datetime import date\n\n"
        "    from .models import Ticket  # cycle: models imports this module\n\n"
        "    return Ticket, date\n\n\n"
        "def k():\n"
        "    from . import models\n\n"
        "    return models\n",
        encoding="utf-8",
    )
    ready = "class C:\n    def ready(self):\n        from . import models\n"  # exempt: app registration
    (app / "apps.py").write_text(ready, encoding="utf-8")
    assert check.long_modules(tmp_path) == [
        "herdesk/app/long.py: 801 lines (more than 800: split it by responsibility)"
    ]
    found = check.unexplained_function_imports(tmp_path)
    assert [line.split(":")[:2] for line in found] == [
        ["herdesk/app/lazy.py", "2"],
        ["herdesk/app/lazy.py", "23"],
    ]
    assert check.main(["check_shape", str(tmp_path)]) == 1
