"""Reads for customers, permission-filtered (SEC-1, SEC-3). Unmasked reads are audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from herdesk.audit.services import audit_record
from herdesk.common.pii import mask_email, mask_phone, mask_text
from herdesk.common.rowsql import column, row_get, table

from .models import Contact, Customer
from .services import email_index, phone_index


def can_view_personal_data(user: Any, customer: Customer | None = None) -> bool:
    """May `user` see this customer's personal data unmasked?

    Holders of customers.view_personal_data who also see every ticket (supervisors): yes. Account
    managers (the permission without the all-tickets view): only for the accounts they manage — the
    customer's own account manager or its organisation's (PIPL: access limited to what the task
    needs). Without a customer to judge, an account manager gets the masked view."""
    if not (user and user.is_authenticated and user.has_perm("customers.view_personal_data")):
        return False
    if user.has_perm("tickets.view_all_tickets"):
        return True
    if customer is None:
        return False
    if customer.account_manager_id == user.pk:
        return True
    org = customer.organisation if customer.organisation_id else None
    return bool(org is not None and org.account_manager_id == user.pk)


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    qs = Customer.objects.select_related("organisation", "account_manager")
    if getattr(user, "customer_id", None):
        me = user.customer
        if me.organisation_id:
            return qs.filter(organisation_id=me.organisation_id)
        return qs.filter(pk=me.pk)
    return qs


def customer_visible_get(user: Any, pk: int) -> Customer:
    """`customers_visible_to(user).get(pk=pk)` with its organisation, for the API's ticket creation:
    one statement built once per process (issue #20). Raises Customer.DoesNotExist (404) for a
    customer the user may not see, exactly as the queryset would: the rule is written twice, so
    tests/test_selectors_fast.py compares the two for staff and both kinds of portal user."""
    customer: Customer | None = row_get(Customer, "pk", pk, related=("organisation",))
    if customer is not None and getattr(user, "customer_id", None):
        me = user.customer
        seen = customer.organisation_id == me.organisation_id if me.organisation_id else customer.pk == me.pk
        customer = customer if seen else None
    if customer is None:
        raise Customer.DoesNotExist("Customer matching query does not exist.")
    return customer


_HAS_CONTACT_SQL: dict[str, str] = {}


def customer_has_contact(customer: Customer) -> bool:
    """Whether the customer has any contact (INT-3's "contact" item at intake): one indexed
    statement, built once per process, for every phone or chat ticket the API records."""
    sql = _HAS_CONTACT_SQL.get(connection.vendor)
    if sql is None:
        sql = _HAS_CONTACT_SQL[connection.vendor] = (
            f"SELECT 1 FROM {table(Contact)} WHERE {column(Contact, 'customer')} = %s LIMIT 1"
        )
    with connection.cursor() as cur:
        cur.execute(sql, [customer.pk])
        return cur.fetchone() is not None


def contact_primary(*, customer: Customer, reachable_by: str = "") -> Contact | None:
    """The customer's primary contact, else the oldest; with `reachable_by` ("email" or "phone")
    only a contact that has that address (by its blind index: nothing is decrypted to look)."""
    qs = customer.contacts.all()
    if reachable_by == "email":
        qs = qs.exclude(email_bidx="")
    elif reachable_by == "phone":
        qs = qs.exclude(phone_bidx="")
    return qs.order_by("-is_primary", "id").first()


def customer_find_by_phone(*, user: Any, phone: str) -> QuerySet[Customer]:
    """Exact look-up through the blind index: the plaintext number is never queried."""
    bidx = phone_index(phone)
    return customers_visible_to(user).filter(contacts__phone_bidx=bidx).distinct()


def customer_search(*, user: Any, q: str = "", phone: str = "", email: str = "") -> QuerySet[Customer]:
    qs = customers_visible_to(user)
    if phone:
        qs = qs.filter(contacts__phone_bidx=phone_index(phone))
    if email:
        qs = qs.filter(contacts__email_bidx=email_index(email))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(organisation__name__icontains=q))
    return qs.distinct().order_by("-id")


@dataclass
class ContactView:
    name: str
    phone: str
    email: str
    wechat_openid: str
    masked: bool


def contact_view(*, user: Any, contact: Contact, purpose: str = "view") -> ContactView:
    """What `user` may see of a contact: masked unless they hold view_personal_data (then audited)."""
    if can_view_personal_data(user, contact.customer) or (
        getattr(user, "customer_id", None) == contact.customer_id
    ):
        if not getattr(user, "customer_id", None):
            audit_record(
                actor=user,
                action="pii.read",
                object_type="customer",
                object_id=contact.customer_id,
                data={"fields": ["phone", "email"], "purpose": purpose},
            )
        return ContactView(contact.name, contact.phone, contact.email, contact.wechat_openid, masked=False)
    return ContactView(
        contact.name,
        mask_phone(contact.phone),
        mask_email(contact.email),
        contact.wechat_openid[:4] + "…" if contact.wechat_openid else "",
        masked=True,
    )


def address_view(*, user: Any, customer: Customer) -> str:
    if can_view_personal_data(user, customer):
        if customer.address:
            audit_record(
                actor=user,
                action="pii.read",
                object_type="customer",
                object_id=customer.pk,
                data={"fields": ["address"]},
            )
        return customer.address
    return mask_text(customer.address)
