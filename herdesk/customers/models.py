"""Customers and organisations (CRM-1). Personal data is encrypted at rest (SEC-1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from herdesk.common.fields import EncryptedTextField, SubjectKeyField

from .choices import CustomerKind, Lifecycle, OrgKind, Tier


class Organisation(models.Model):
    """A farm, distributor or enterprise. Its customers (contacts) share its tickets (SEC-3)."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices, default=OrgKind.FARM)
    region = models.CharField(_("region"), max_length=60, blank=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.REGULAR)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=Lifecycle.choices, default=Lifecycle.NEW
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person or an organisation we serve. Tier and account manager follow the organisation."""

    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    name = models.CharField(_("name"), max_length=120)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    region = models.CharField(_("region"), max_length=60, blank=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.REGULAR)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=Lifecycle.choices, default=Lifecycle.NEW
    )
    # The customer's own data key (crypto-shredding, SEC-4): address, ID number and every contact
    # detail are encrypted under it; erasure destroys it (herdesk.privacy).
    data_key = SubjectKeyField()
    address = EncryptedTextField(_("address"), blank=True, subject="data_key")
    id_number = EncryptedTextField(_("ID number"), blank=True, subject="data_key")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("view_personal_data", "Can view unmasked personal data")]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A way to reach a customer. Phone and email are encrypted; *_bidx are HMAC blind indexes."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=120, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True, subject="customer__data_key")
    phone_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    email = EncryptedTextField(_("email"), blank=True, subject="customer__data_key")
    email_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True, db_index=True)
    is_primary = models.BooleanField(_("primary"), default=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name or f"contact {self.pk}"
