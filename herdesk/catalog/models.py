"""Product catalogue: dairy products and farm equipment models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    DAIRY = "dairy", _("Dairy product")
    EQUIPMENT = "equipment", _("Farm equipment")
    SERVICE = "service", _("Service")


class Product(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ProductKind.choices)
    model_number = models.CharField(_("model number"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return f"{self.name} {self.model_number}".strip()
