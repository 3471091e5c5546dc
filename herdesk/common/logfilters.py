"""Personal data kept out of the logs (issue #14). The customer look-up and the intake form take a
phone number or an email address in the query string (GET keeps them bookmarkable and htmx-
friendly); the access log would keep every number typed. This filter masks phone numbers, email
addresses and ID numbers in every log record: uvicorn's access log (`access_log_config`) and the
project's own handlers (LOGGING in config/settings/base.py)."""

from __future__ import annotations

import copy
import logging
from typing import Any
from urllib.parse import unquote_plus

from .pii import mask_free_text


def _mask(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if "?" in value:  # a path with its query string: decode %40, + and %20 before masking
        path, query = value.split("?", 1)
        return path + "?" + mask_free_text(unquote_plus(query))
    return mask_free_text(value)


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _mask(record.msg)
        if isinstance(record.args, tuple):
            # Keep the tuple's shape: uvicorn's AccessFormatter reads its items by position.
            record.args = tuple(_mask(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask(v) for k, v in record.args.items()}
        return True


def access_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the filter on its access and error handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["personal_data"] = {"()": "herdesk.common.logfilters.PersonalDataFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("personal_data")
    return config
