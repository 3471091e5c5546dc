"""Moved to herdesk.inbound.webhooks (the one signed-webhook receiver of every push channel); this
path is kept for old imports."""

from herdesk.inbound.webhooks import (
    Body,
    _registered,
    client_meta,
    ensure_source,
    hmac_sha256_hex,
    json_error,
    read_body,
    signature_matches,
    unverified_reason,
)

__all__ = [
    "Body",
    "_registered",
    "client_meta",
    "ensure_source",
    "hmac_sha256_hex",
    "json_error",
    "read_body",
    "signature_matches",
    "unverified_reason",
]
