"""WeChat official-account message push: signatures and safe-mode (安全模式) encryption.

- URL verification and plaintext pushes: ``signature = sha1(sort(token, timestamp, nonce))``.
- Safe mode: ``msg_signature = sha1(sort(token, timestamp, nonce, Encrypt))``; the message is
  AES-256-CBC encrypted with key = base64decode(EncodingAESKey + "=") (43 chars → 32 bytes) and
  IV = the key's first 16 bytes, over ``random(16) + len(msg) (4 bytes, network order) + msg +
  appid``, padded PKCS#7 to a multiple of **32** bytes (WeChat's block size, not AES's 16).
Implemented with `cryptography` (no home-made cipher); comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class WeChatCryptoError(Exception):
    """A signature, key, padding or appid check failed (the code says which)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_ok(expected: str, *parts: str) -> bool:
    expected = str(expected or "").lower()
    return expected.isascii() and hmac.compare_digest(sha1_signature(*parts), expected)


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key or "") != 43:
        raise WeChatCryptoError("bad_aes_key", "EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise WeChatCryptoError("bad_aes_key", "EncodingAESKey is not base64")
    if len(key) != 32:  # pragma: no cover - 43 base64 chars always give 32 bytes
        raise WeChatCryptoError("bad_aes_key", "EncodingAESKey does not decode to 32 bytes")
    return key


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data:
        raise WeChatCryptoError("bad_padding", "empty plaintext")
    n = data[-1]
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise WeChatCryptoError("bad_padding", "bad PKCS#7 padding (wrong EncodingAESKey?)")
    return data[:-n]


class MessageCrypt:
    """Encrypt and decrypt safe-mode messages of one official account."""

    def __init__(self, *, token: str, encoding_aes_key: str, appid: str) -> None:
        self.token = token
        self.key = aes_key(encoding_aes_key)
        self.appid = appid

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, plaintext: bytes, *, random16: bytes | None = None) -> str:
        random16 = random16 if random16 is not None else os.urandom(16)
        if len(random16) != 16:
            raise ValueError("random prefix must be 16 bytes")
        body = random16 + struct.pack(">I", len(plaintext)) + plaintext + self.appid.encode()
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(_pad(body)) + enc.finalize()).decode()

    def decrypt(self, encrypted_b64: str) -> bytes:
        """The message XML, after padding, length and appid checks (raises WeChatCryptoError)."""
        try:
            data = base64.b64decode(encrypted_b64, validate=True)
        except (binascii.Error, ValueError):
            raise WeChatCryptoError("bad_base64", "Encrypt is not base64")
        if not data or len(data) % 16:
            raise WeChatCryptoError("bad_ciphertext", "ciphertext length is not a multiple of 16")
        dec = self._cipher().decryptor()
        plain = _unpad(dec.update(data) + dec.finalize())
        if len(plain) < 20:
            raise WeChatCryptoError("bad_ciphertext", "plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        msg, appid = plain[20 : 20 + length], plain[20 + length :]
        if len(msg) != length:
            raise WeChatCryptoError("bad_ciphertext", "declared length exceeds the plaintext")
        if not hmac.compare_digest(appid, self.appid.encode()):
            raise WeChatCryptoError("appid_mismatch", "the message is for another appid")
        return msg

    def msg_signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return sha1_signature(self.token, timestamp, nonce, encrypted)

    def encrypt_reply(self, xml: bytes, *, timestamp: str, nonce: str) -> bytes:
        """A passive reply in safe mode (not used by Herdesk's flow, which answers "success" and
        replies through the customer-service API, but kept for completeness and tests)."""
        encrypted = self.encrypt(xml)
        sig = self.msg_signature(timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{sig}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        ).encode()
