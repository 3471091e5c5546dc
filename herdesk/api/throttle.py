"""Per-token and per-IP rate limits for the API (SEC-1, OPS-2).

Fixed one-minute windows counted in the Django cache (Redis when REDIS_URL is set, so every
process shares the counts; the local-memory cache of a single-process install otherwise): one
`add` + one `incr` per request, no database query. Over the limit the API answers 429 with
`Retry-After` (seconds to the next window). The per-IP limit is checked before the token is even
looked up, so guessing tokens is throttled too.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from herdesk.common.errors import DomainError

WINDOW_SECONDS = 60
# Defaults, overridable in settings: a busy integration does a few requests a second; a person
# clicking through Swagger far fewer. One office NAT may carry several integrations: IP > token.
DEFAULT_PER_TOKEN = 600
DEFAULT_PER_IP = 1200


class Throttled(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


def _hit(kind: str, ident: str, limit: int) -> None:
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api:rl:{kind}:{ident}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this request as the first
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count > limit:
        retry_after = math.ceil((window + 1) * WINDOW_SECONDS - now)
        raise Throttled(
            _("Too many requests. Try again in %(n)d seconds.") % {"n": max(1, retry_after)},
            retry_after=retry_after,
        )


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")[:64]


def check_ip(request: HttpRequest) -> None:
    _hit("ip", client_ip(request), int(getattr(settings, "HERDESK_API_RATE_PER_IP", DEFAULT_PER_IP)))


def check_token(token_id: int) -> None:
    _hit("tok", str(token_id), int(getattr(settings, "HERDESK_API_RATE_PER_TOKEN", DEFAULT_PER_TOKEN)))
