"""Personal-data protection (SEC-1, PIPL): AES-256-GCM field encryption and HMAC blind indexes.

Ciphertext format: ``v1:`` + urlsafe-base64(nonce[12] | ciphertext+tag). The field name is bound as
associated data, so a value copied from one column into another fails to decrypt.
Blind index: HMAC-SHA256 with a separate key over the *normalised* value, for exact look-ups
(find a customer by phone number) without storing or indexing the plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1:"


def _decode_key(raw: str, name: str) -> bytes:
    if not raw:
        raise ImproperlyConfigured(f"{name} is not set (base64 of 32 random bytes).")
    key = base64.b64decode(raw)
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must decode to 32 bytes, got {len(key)}.")
    return key


@lru_cache(maxsize=4)
def _aead(raw: str) -> AESGCM:
    return AESGCM(_decode_key(raw, "HERDESK_FIELD_KEY"))


@lru_cache(maxsize=4)
def _bidx_key(raw: str) -> bytes:
    return _decode_key(raw, "HERDESK_BLIND_INDEX_KEY")


def encrypt(plaintext: str, *, context: str) -> str:
    if plaintext == "":
        return ""
    nonce = os.urandom(12)
    ct = _aead(settings.HERDESK_FIELD_KEY).encrypt(nonce, plaintext.encode(), context.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + ct).decode()


def decrypt(token: str, *, context: str) -> str:
    if not token:
        return ""
    if not token.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    blob = base64.urlsafe_b64decode(token[len(PREFIX) :])
    return _aead(settings.HERDESK_FIELD_KEY).decrypt(blob[:12], blob[12:], context.encode()).decode()


def blind_index(normalised: str, *, context: str) -> str:
    """Deterministic keyed hash of an already normalised value ('' for empty)."""
    if not normalised:
        return ""
    key = _bidx_key(settings.HERDESK_BLIND_INDEX_KEY)
    return hmac.new(key, f"{context}\x00{normalised}".encode(), hashlib.sha256).hexdigest()[:40]


# Binary payloads (raw inbound messages, issue #14): MAGIC | nonce[12] | ciphertext+tag, raw bytes
# (no base64: a 25 MB email stays 25 MB). Values without the marker are legacy plaintext rows
# written before encryption (migration inbound/0003 encrypts them).
BYTES_MAGIC = b"HDE1"


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    nonce = os.urandom(12)
    return BYTES_MAGIC + nonce + _aead(settings.HERDESK_FIELD_KEY).encrypt(nonce, data, context.encode())


def decrypt_bytes(blob: bytes, *, context: str) -> bytes:
    if not blob.startswith(BYTES_MAGIC):
        return blob  # legacy plaintext
    body = blob[len(BYTES_MAGIC) :]
    return _aead(settings.HERDESK_FIELD_KEY).decrypt(body[:12], body[12:], context.encode())


def is_encrypted_bytes(blob: bytes) -> bool:
    return bytes(blob[: len(BYTES_MAGIC)]) == BYTES_MAGIC
