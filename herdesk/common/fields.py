"""Model fields for encrypted personal data (SEC-1)."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from . import crypto


class SubjectKeyField(models.ForeignKey[Any, Any]):
    """The row's data subject key (herdesk.common.models.SubjectKey; crypto-shredding, SEC-4).
    Created on first save when missing, so every new subject gets a key of its own. No database
    constraint: backups hold the rows without the key table's (kept apart, herdesk.ops.backup), and
    key rows are never deleted (a destroyed key keeps its row)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to", "common.SubjectKey")
        kwargs.setdefault("on_delete", models.PROTECT)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("related_name", "+")
        kwargs.setdefault("db_constraint", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "herdesk.common.fields.SubjectKeyField", args, kwargs

    def ensure(self, instance: Any, *, persist: bool) -> int:
        """The instance's key id, creating the key if it has none (and, for a row already in the
        database whose save may not write this column, recording it at once)."""
        kid = getattr(instance, self.attname)
        if kid is None:
            kid = crypto.subject_key_create()
            setattr(instance, self.attname, kid)
            if persist and instance.pk is not None:
                type(instance)._default_manager.filter(
                    pk=instance.pk, **{f"{self.attname}__isnull": True}
                ).update(**{self.attname: kid})
                instance.refresh_from_db(fields=[self.attname])
                kid = getattr(instance, self.attname)
        return int(kid)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        return self.ensure(model_instance, persist=False)


class EncryptedTextField(models.TextField[Any, Any]):
    """Stores AES-GCM ciphertext; Python code sees plaintext. Not searchable: use a blind index.

    With `subject` (the path to a SubjectKeyField: "data_key" on the subject's own row,
    "customer__data_key" on a row that belongs to one), values saved through the model (save,
    create, bulk_create, rows_insert) are encrypted under that subject's own key; without it (or
    through QuerySet.update) under the master field key."""

    def __init__(self, *args: Any, subject: str = "", **kwargs: Any) -> None:
        self.subject = subject
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        if self.subject:
            kwargs["subject"] = self.subject
        return name, "herdesk.common.fields.EncryptedTextField", args, kwargs

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def subject_key_of(self, instance: Any, add: bool) -> int | None:
        """The subject key id for this row (None where the path meets no subject: master key)."""
        *hops, last = self.subject.split("__")
        owner = instance
        for hop in hops:
            owner = getattr(owner, hop)
            if owner is None:
                return None
        return owner._meta.get_field(last).ensure(owner, persist=not (owner is instance and add))  # type: ignore[no-any-return]

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if not self.subject or value is None or value == "" or isinstance(value, crypto.Sealed):
            return value
        kid = self.subject_key_of(model_instance, add)
        if kid is None:
            return value
        return crypto.encrypt_for_subject(str(value), kid=kid, context=self._context())

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self._context())

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, crypto.Sealed):
            return str(value)
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
