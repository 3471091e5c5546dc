"""Report-pack sections owned by the feature apps above analytics (#18): the follow-up rate (CLS-2)
comes from the follow-up app's own selector, so the pack shows exactly the figures of the follow-up
rate page. Analytics may not import those apps (docs/architecture/overview.md, layers): each
registers its section here when Django starts (its AppConfig.ready)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .periods import Period

SectionProvider = Callable[[Period], dict[str, Any]]
_providers: dict[str, SectionProvider] = {}


def section_register(name: str, provider: SectionProvider) -> None:
    _providers[name] = provider


def pack_sections(period: Period) -> dict[str, dict[str, Any]]:
    """Every registered section of the period ({} for a section whose app is not installed)."""
    return {name: provider(period) for name, provider in _providers.items()}
