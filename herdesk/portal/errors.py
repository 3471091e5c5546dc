"""Errors of the portal's sign-in and link flows; views turn them into 4xx pages."""

from __future__ import annotations

from herdesk.common.errors import DomainError


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class LinkError(DomainError):
    """A signed link that is tampered with or unknown (400), expired or already used (410)."""

    code = "link_invalid"
    status = 400
