"""Domain errors with stable codes; the API and views turn them into 4xx responses.

A domain error says WHAT was refused (its `code`), never how a transport answers: the HTTP status
of each code lives in one table here (`HTTP_STATUS`, read through `http_status`), used by the API
(herdesk.api.errors) and by the views (`exc.status`). The old `status=` keyword of DomainError is
still accepted so existing `raise DomainError(..., status=…)` calls keep working; it is only a
fallback for a code the table does not know.
"""

from __future__ import annotations

from typing import Any

# code → HTTP status. A code not listed answers 409 (a business rule refused the request).
HTTP_STATUS: dict[str, int] = {
    "domain_error": 409,
    "transition_not_allowed": 409,
    "clock_not_renegotiable": 409,
    "not_resolved": 409,
    "idempotency_key_reused": 422,
    "validation_error": 422,
    "invalid": 422,
    "forbidden": 403,
    "not_assignee": 403,
    "chat_not_yours": 403,
    "not_found": 404,
    "no_conversation": 400,
    "link_invalid": 400,
    "link_expired": 410,
    "link_used": 410,
    "rate_limited": 429,
    "payload_too_large": 413,
    "sms_failed": 502,
}
DEFAULT_STATUS = 409


class DomainError(Exception):
    """A business rule refused the request (e.g. a transition the lifecycle does not allow)."""

    code = "domain_error"

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        # Backward compatible: a legacy status hint, used only when the code is not in HTTP_STATUS.
        self._status_hint = status
        self.field = field
        if not isinstance(getattr(type(self), "status", None), property):
            # a subclass still declaring `status = 4xx` shadows the property: pin the mapped value
            self.__dict__["status"] = http_status(self)

    @property
    def status(self) -> int:
        return http_status(self)


def _class_hint(cls: type) -> int | None:
    # A subclass written before the table may still say `status = 4xx` as a class attribute.
    for klass in cls.__mro__:
        value = klass.__dict__.get("status")
        if isinstance(value, int):
            return value
    return None


def http_status(exc: Any) -> int:
    """The HTTP status for a DomainError (the one place codes map to statuses)."""
    code = getattr(exc, "code", "")
    hint = getattr(exc, "_status_hint", None)
    # A bare DomainError(..., status=403) keeps its status: "domain_error" is only the default code.
    if code in HTTP_STATUS and not (code == DomainError.code and hint):
        return HTTP_STATUS[code]
    return hint or _class_hint(type(exc)) or DEFAULT_STATUS


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"


class IdempotencyConflict(DomainError):
    code = "idempotency_key_reused"
