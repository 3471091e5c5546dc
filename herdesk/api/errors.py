"""One error shape for the whole API: {"code", "message", "errors": [{"field", "message"}]}.

Bad input is always 4xx with a stable code and field messages, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from herdesk.common.errors import DomainError, http_status

from .schemas import ErrorOut
from .throttle import Throttled

# What each documented error status means; every operation lists the ones it can answer, all with
# the ErrorOut body (OpenAPI), so a client (and schemathesis) meets no undocumented status.
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429)


def error_responses(*statuses: int) -> dict[int, Any]:
    """The `response=` entries for these error statuses, each with the JSON error schema."""

    return {s: ErrorOut for s in statuses}


def _body(code: str, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "errors": errors or []}


def _loc(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "header")]
    return ".".join(parts) or "body"


def _pydantic_message(err: dict[str, Any]) -> str:
    t = err.get("type", "")
    ctx = err.get("ctx") or {}
    if t == "missing":
        return _("This field is required.")
    if t == "string_too_long":
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if t == "string_too_short":
        return _("At least %(n)s characters.") % {"n": ctx.get("min_length")}
    if t in ("literal_error", "enum"):
        return _("Must be one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if t.startswith("datetime") or t.startswith("date"):
        return _("Not a valid date-time; use ISO 8601 with an offset, e.g. 2026-11-23T09:30:00+08:00.")
    if t.startswith("int") or t.startswith("float"):
        return _("Must be a number.")
    if t == "string_pattern_mismatch" and tuple(err.get("loc", ()))[-1:] == ("month",):
        return _("Give the month as YYYY-MM.")
    if t == "string_pattern_mismatch":
        return _("Not in the expected format.")
    if t.startswith(("greater_than", "less_than")):
        return _("This number is out of range.")
    if t in ("too_short", "too_long"):
        return _("Between %(min)s and %(max)s items.") % {
            "min": ctx.get("min_length", 0),
            "max": ctx.get("max_length", "∞"),
        }
    if t == "json_invalid":
        return _("The request body is not valid JSON.")
    return str(err.get("msg", _("Invalid value.")))


def install(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [{"field": _loc(e.get("loc", ())), "message": _pydantic_message(e)} for e in exc.errors]
        code = (
            "invalid_json" if any(e.get("type") == "json_invalid" for e in exc.errors) else "validation_error"
        )
        msg = (
            _("The request body is not valid JSON.")
            if code == "invalid_json"
            else _("Some fields are invalid.")
        )
        return api.create_response(
            request, _body(code, msg, errors), status=422 if code != "invalid_json" else 400
        )

    @api.exception_handler(DjangoValidationError)
    def django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [{"field": f, "message": str(m)} for f, msgs in exc.message_dict.items() for m in msgs]
        else:
            errors = [{"field": "body", "message": str(m)} for m in exc.messages]
        return api.create_response(
            request, _body("validation_error", _("Some fields are invalid."), errors), status=422
        )

    @api.exception_handler(DomainError)
    def domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else []
        response = api.create_response(request, _body(exc.code, exc.message, errors), status=http_status(exc))
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        # DATA_UPLOAD_MAX_MEMORY_SIZE: a JSON error, not Django's HTML 400 page
        msg = _("The request body is too large.")
        return api.create_response(
            request, _body("payload_too_large", msg, [{"field": "body", "message": msg}]), status=413
        )

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A value the database cannot store or compare (NUL in PostgreSQL text, an integer beyond
        # 64 bits on SQLite) that slipped past the schemas: the client's input, so 422, not 500.
        msg = _("A value is out of range or contains characters that cannot be stored.")
        return api.create_response(request, _body("validation_error", msg), status=422)

    @api.exception_handler(OverflowError)
    def overflow(request: HttpRequest, exc: Exception) -> HttpResponse:
        msg = _("A value is out of range or contains characters that cannot be stored.")
        return api.create_response(request, _body("validation_error", msg), status=422)

    @api.exception_handler(ObjectDoesNotExist)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, _body("not_found", _("Not found.")), status=404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request, _body("forbidden", _("You do not have permission to do that.")), status=403
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request,
            _body("unauthenticated", _("Send a valid API token: Authorization: Bearer <token>.")),
            status=401,
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            msg = _("The request body is not valid JSON.")
            return api.create_response(
                request, _body("invalid_json", msg, [{"field": "body", "message": msg}]), status=400
            )
        return api.create_response(request, _body("http_error", str(exc)), status=exc.status_code)
