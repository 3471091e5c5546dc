"""`channels.testing.WebsocketCommunicator` without daphne.

channels.testing's package __init__ also imports its live-server test case, which needs daphne; we
serve with uvicorn and do not install daphne. When it is absent, a placeholder module satisfies that
one import (the live-server case is never used; the real-socket tests run uvicorn instead).
"""

from __future__ import annotations

import sys
import types

try:
    import daphne.testing  # noqa: F401
except ModuleNotFoundError:
    _daphne = types.ModuleType("daphne")
    _testing = types.ModuleType("daphne.testing")

    class DaphneProcess:  # pragma: no cover - never instantiated
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("daphne is not installed; use the uvicorn-based real-socket tests")

    _testing.DaphneProcess = DaphneProcess  # type: ignore[attr-defined]
    _daphne.testing = _testing  # type: ignore[attr-defined]
    sys.modules.setdefault("daphne", _daphne)
    sys.modules.setdefault("daphne.testing", _testing)

from channels.testing import WebsocketCommunicator

__all__ = ["WebsocketCommunicator"]
