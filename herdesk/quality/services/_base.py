"""Helpers shared by the quality services: the refusal (a bilingual DomainError) and the actor
as a foreign key (a system actor has no row)."""

from __future__ import annotations

from typing import Any

from herdesk.common.errors import DomainError


def _refuse(message: str, code: str = "invalid", field: str | None = None) -> DomainError:
    return DomainError(message, code=code, field=field)


def _real(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None
