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

from .models import SubjectKey
from .rowsql import rows_insert

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
    if token.startswith(PREFIX_V2):
        return _decrypt_v2(token, context)
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


# --- Per-subject data keys (crypto-shredding; SEC-4, PIPL art. 47) ---------------------------------
# A subject's fields: ``v2:`` + key id + ``:`` + urlsafe-base64(nonce[12] | ciphertext+tag), under
# the subject's own AES-256 key (herdesk.common.models.SubjectKey), which the master field key wraps.
# Destroying the subject key makes every copy unreadable: decrypt() then returns "" for it.
# Unwrapped keys are kept in a bounded per-process LRU (a list page decrypts many rows): a miss loads
# the neighbouring keys too (customers created together are listed together) in one query.
PREFIX_V2 = "v2:"
WRAP_PREFIX = "k1:"
KEY_CACHE_SIZE = 4096
KEY_PREFETCH_WINDOW = 32


class Sealed(str):
    """A value the field already encrypted under a subject key (in pre_save): stored as it is."""

    __slots__ = ()


class SubjectKeyMissing(LookupError):
    """A v2 value names a key this database does not hold (a restore without the key export)."""


def _master_key() -> bytes:
    return _decode_key(settings.HERDESK_FIELD_KEY, "HERDESK_FIELD_KEY")


def key_wrap(key: bytes) -> str:
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap

    return WRAP_PREFIX + base64.urlsafe_b64encode(aes_key_wrap(_master_key(), key)).decode()


def key_unwrap(wrapped: str) -> bytes:
    from cryptography.hazmat.primitives.keywrap import aes_key_unwrap

    if not wrapped.startswith(WRAP_PREFIX):
        raise ValueError("not a wrapped key")
    return aes_key_unwrap(_master_key(), base64.urlsafe_b64decode(wrapped[len(WRAP_PREFIX) :]))


class _KeyCache:
    """id -> AESGCM of the unwrapped key; least recently used dropped past KEY_CACHE_SIZE."""

    def __init__(self) -> None:
        from collections import OrderedDict
        from threading import Lock

        self._keys: OrderedDict[int, AESGCM] = OrderedDict()
        self._lock = Lock()
        self.loads = 0  # queries made (tests and the benchmark read it)

    def get(self, kid: int) -> AESGCM | None:
        with self._lock:
            aead = self._keys.get(kid)
            if aead is not None:
                self._keys.move_to_end(kid)
            return aead

    def put(self, kid: int, aead: AESGCM) -> None:
        with self._lock:
            self._keys[kid] = aead
            self._keys.move_to_end(kid)
            while len(self._keys) > KEY_CACHE_SIZE:
                self._keys.popitem(last=False)

    def drop(self, kid: int) -> None:
        with self._lock:
            self._keys.pop(kid, None)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self.loads = 0

    def __len__(self) -> int:
        return len(self._keys)


key_cache = _KeyCache()


def _load_keys(kid: int, *, window: int = KEY_PREFETCH_WINDOW) -> AESGCM | None:
    """Load key `kid` (and its live neighbours) into the cache. None if destroyed; raises
    SubjectKeyMissing if there is no such key."""

    key_cache.loads += 1
    found: AESGCM | None = None
    exists = False
    # Always the primary: a key created a moment ago may not have reached a read replica yet.
    rows = (
        SubjectKey.objects.using("default")
        .filter(pk__gte=kid - window, pk__lte=kid + window)
        .values_list("pk", "wrapped")
    )
    for pk, wrapped in rows:
        if pk == kid:
            exists = True
        if not wrapped:
            continue
        aead = AESGCM(key_unwrap(wrapped))
        key_cache.put(pk, aead)
        if pk == kid:
            found = aead
    if not exists:
        raise SubjectKeyMissing(f"subject key {kid} is not in this database (restore the key export)")
    return found


def subject_key_create() -> int:
    """A new random subject key, stored wrapped; returns its id (the key is cached)."""

    key = AESGCM.generate_key(bit_length=256)
    row = SubjectKey(wrapped=key_wrap(key))
    rows_insert([row])
    key_cache.put(row.pk, AESGCM(key))
    return int(row.pk)


def subject_key_destroy(kid: int) -> bool:
    """Crypto-shred: forget the subject key for good (every value under it becomes unreadable).
    Returns False if it was already destroyed. The caller audits (herdesk.privacy)."""
    from django.utils import timezone

    key_cache.drop(kid)
    done = SubjectKey.objects.filter(pk=kid, destroyed_at__isnull=True).update(
        wrapped="", destroyed_at=timezone.now()
    )
    return bool(done)


def encrypt_for_subject(plaintext: str, *, kid: int, context: str) -> Sealed:
    if plaintext == "":
        return Sealed("")
    aead = key_cache.get(kid) or _load_keys(kid)
    if aead is None:
        raise ValueError(f"subject key {kid} was destroyed")
    nonce = os.urandom(12)
    ct = aead.encrypt(nonce, plaintext.encode(), context.encode())
    return Sealed(f"{PREFIX_V2}{kid}:" + base64.urlsafe_b64encode(nonce + ct).decode())


def subject_key_id(token: str) -> int | None:
    """The subject key a stored value is under (None for master-key or empty values)."""
    if not token.startswith(PREFIX_V2):
        return None
    return int(token[len(PREFIX_V2) : token.index(":", len(PREFIX_V2))])


def _decrypt_v2(token: str, context: str) -> str:
    from cryptography.exceptions import InvalidTag

    sep = token.index(":", len(PREFIX_V2))
    kid = int(token[len(PREFIX_V2) : sep])
    blob = base64.urlsafe_b64decode(token[sep + 1 :])
    aead = key_cache.get(kid)
    if aead is not None:
        try:
            return aead.decrypt(blob[:12], blob[12:], context.encode()).decode()
        except InvalidTag:
            key_cache.drop(kid)  # a stale entry (another database): load it again once
    aead = _load_keys(kid, window=0 if aead is not None else KEY_PREFETCH_WINDOW)
    if aead is None:
        return ""  # crypto-shredded
    return aead.decrypt(blob[:12], blob[12:], context.encode()).decode()
