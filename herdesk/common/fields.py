"""Model fields for encrypted personal data (SEC-1)."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField[Any, Any]):
    """Stores AES-GCM ciphertext; Python code sees plaintext. Not searchable: use a blind index."""

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "herdesk.common.fields.EncryptedTextField", args, kwargs

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self._context())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), context=self._context())


class EncryptedBinaryField(models.BinaryField[Any, Any]):
    """Bytes encrypted at rest (AES-256-GCM, the field key; context = model.field); Python code sees
    plaintext bytes. Legacy unencrypted values are read as they are."""

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "herdesk.common.fields.EncryptedBinaryField", args, kwargs

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return crypto.decrypt_bytes(bytes(value), context=self._context())

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is not None and not prepared:
            value = crypto.encrypt_bytes(bytes(value), context=self._context())
        return super().get_db_prep_value(value, connection, prepared=True)


class EncryptedJSONField(models.TextField[Any, Any]):
    """A JSON document encrypted at rest (signatures, peer addresses, envelope senders of inbound
    payloads); Python code sees the decoded value. Not queryable inside: nothing filters on it."""

    # django-stubs: the Python-side types (a JSON document, not the stored text).
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "herdesk.common.fields.EncryptedJSONField", args, kwargs

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {} if value == "" else value
        if isinstance(value, str) and value.startswith(crypto.PREFIX):
            value = crypto.decrypt(value, context=self._context())
        return json.loads(value) if isinstance(value, str) else value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return value
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        return crypto.encrypt(text, context=self._context())

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, default=str)
