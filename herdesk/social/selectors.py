"""Reads of the social-media channel. Webhook payloads are read through herdesk.inbound."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from herdesk.customers.selectors import customers_visible_to

from .models import SocialIdentity


def identities_of(*, user: Any, customer: Any) -> QuerySet[SocialIdentity]:
    """A customer's platform accounts, for staff who can see the customer."""

    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "customer_id", None):
        return SocialIdentity.objects.none()
    if not customers_visible_to(user).filter(pk=customer.pk).exists():
        return SocialIdentity.objects.none()
    return SocialIdentity.objects.filter(customer=customer).order_by("platform", "id")
