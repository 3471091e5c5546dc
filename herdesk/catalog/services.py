from __future__ import annotations

from django.db import transaction

from .models import Product


@transaction.atomic
def product_ensure(*, code: str, name: str, kind: str, name_en: str = "", model_number: str = "") -> Product:
    product, _ = Product.objects.update_or_create(
        code=code, defaults={"name": name, "kind": kind, "name_en": name_en, "model_number": model_number}
    )
    return product
