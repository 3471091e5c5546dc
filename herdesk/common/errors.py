"""Domain errors with stable codes; the API and views turn them into 4xx responses."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request (e.g. a transition the lifecycle does not allow)."""

    code = "domain_error"
    status = 409

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"


class IdempotencyConflict(DomainError):
    code = "idempotency_key_reused"
    status = 422
