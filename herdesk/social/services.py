"""Writes of the social-media channel: mapping an author to a customer."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from herdesk.customers.models import Customer
from herdesk.customers.services import customer_create

from .models import SocialIdentity


@transaction.atomic
def identity_resolve(*, platform: str, author_id: str, name: str = "") -> tuple[Customer, bool]:
    """The customer behind a platform account, created on first contact (customer_create, no
    personal data: only the public display name). Safe under concurrency: the unique
    (platform, author_id) constraint decides, the loser reads the winner's row."""

    found = (
        SocialIdentity.objects.select_related("customer")
        .filter(platform=platform, author_id=author_id)
        .first()
    )
    if found is not None:
        return found.customer, False
    label = (name or author_id)[:100]
    try:
        with transaction.atomic():
            customer = customer_create(name=f"{label}（{platform}）"[:120])
            SocialIdentity.objects.create(
                platform=platform, author_id=author_id, display_name=name[:120], customer=customer
            )
        return customer, True
    except IntegrityError:
        return SocialIdentity.objects.select_related("customer").get(
            platform=platform, author_id=author_id
        ).customer, False
