"""Writes for customers and contacts. Personal data is normalised, encrypted and blind-indexed here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from herdesk.audit.selectors import audit_count
from herdesk.audit.services import audit_record
from herdesk.common.crypto import blind_index
from herdesk.common.pii import normalise_email, normalise_phone
from herdesk.common.rowsql import rows_insert

from .choices import CustomerKind, Lifecycle, Tier
from .models import Contact, Customer, Organisation

PHONE_CTX = "contact.phone"
EMAIL_CTX = "contact.email"


def phone_index(raw: str) -> str:
    return blind_index(normalise_phone(raw), context=PHONE_CTX)


def email_index(raw: str) -> str:
    return blind_index(normalise_email(raw), context=EMAIL_CTX)


@transaction.atomic
def organisation_create(
    *,
    name: str,
    kind: str = "farm",
    region: str = "",
    tier: str = Tier.REGULAR,
    account_manager: Any = None,
    lifecycle_stage: str = Lifecycle.NEW,
    actor: Any = None,
) -> Organisation:
    org = Organisation(
        name=name,
        kind=kind,
        region=region,
        tier=tier,
        account_manager=account_manager,
        lifecycle_stage=lifecycle_stage,
    )
    org.full_clean()
    org.save()
    audit_record(
        actor=actor,
        action="organisation.create",
        object_type="organisation",
        object_id=org.pk,
        data={"name": name},
    )
    return org


@transaction.atomic
def customer_create(**kwargs: Any) -> Customer:
    """Create a customer with its primary contact (arguments: `customer_create_detailed`)."""
    return customer_create_detailed(**kwargs)[0]


@transaction.atomic(savepoint=False)
def customer_create_detailed(
    *,
    name: str,
    kind: str = CustomerKind.PERSON,
    organisation: Organisation | None = None,
    region: str = "",
    tier: str | None = None,
    account_manager: Any = None,
    lifecycle_stage: str = Lifecycle.NEW,
    phone: str = "",
    email: str = "",
    wechat_openid: str = "",
    address: str = "",
    id_number: str = "",
    actor: Any = None,
    audit: bool = True,
) -> tuple[Customer, Contact | None]:
    """Create a customer with its primary contact; returns both (the contact is None without a
    phone, email or WeChat id), so that callers such as the inbound channels need not read it back.

    Validates every field (raises ValidationError keyed by field); tier and account manager default
    to the organisation's. Writes an audit entry without the personal data itself.
    Inside a transaction it takes no savepoint of its own: its callers wrap it in theirs
    (`customer_create`; the inbound channels' sender claim, which must recover from a race).
    """
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Name is required.")
    e164 = ""
    try:
        e164 = normalise_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    email_n = normalise_email(email)
    if email_n and ("@" not in email_n or len(email_n) > 254):
        errors["email"] = _("“%(value)s” is not an email address.") % {"value": email[:60]}
    if errors:
        raise ValidationError(errors)
    if organisation is not None:
        tier = tier or organisation.tier
        account_manager = account_manager or organisation.account_manager
        region = region or organisation.region
    customer = Customer(
        kind=kind,
        name=name,
        organisation=organisation,
        region=region,
        tier=tier or Tier.REGULAR,
        account_manager=account_manager,
        lifecycle_stage=lifecycle_stage,
        address=address,
        id_number=id_number,
    )
    customer.full_clean()
    # rows_insert: save/create without compiling the INSERTs again (every new inbound sender).
    rows_insert([customer])
    contact = None
    if e164 or email_n or wechat_openid:
        contact = Contact(
            customer=customer,
            name=name,
            phone=e164,
            phone_bidx=blind_index(e164, context=PHONE_CTX),
            email=email_n,
            email_bidx=blind_index(email_n, context=EMAIL_CTX),
            wechat_openid=wechat_openid,
        )
        rows_insert([contact])
    if audit:
        audit_record(
            actor=actor,
            action="customer.create",
            object_type="customer",
            object_id=customer.pk,
            data={"organisation": organisation.pk if organisation else None},
        )
    return customer, contact


@transaction.atomic
def customer_account_set(
    *, target: Customer | Organisation, tier: str, account_manager: Any, actor: Any
) -> Any:
    """Change the tier and account manager of a customer or an organisation (issue #12: the admin's
    edit, audited). Tier decides the stricter targets of key accounts (POL-4, S3 §5.4 分级响应) and the
    account manager sees the account's tickets (SEC-3), so both are permission changes in effect.
    An organisation's new values also go to its customers that had the organisation's old ones."""
    model = type(target)
    current = model.objects.select_for_update().get(pk=target.pk)
    am_id = getattr(account_manager, "pk", None)
    changes: dict[str, list[Any]] = {}
    if current.tier != tier:
        changes["tier"] = [current.tier, tier]
    if current.account_manager_id != am_id:
        changes["account_manager"] = [current.account_manager_id, am_id]
    if not changes:
        return current
    old_tier, old_am = current.tier, current.account_manager_id
    current.tier, current.account_manager_id = tier, am_id
    current.full_clean()
    current.save(update_fields=["tier", "account_manager"])
    followers = 0
    if isinstance(current, Organisation):
        followers = Customer.objects.filter(
            organisation=current, tier=old_tier, account_manager_id=old_am
        ).update(tier=tier, account_manager_id=am_id)
    audit_record(
        actor=actor,
        action=f"{model._meta.model_name}.account_set",
        object_type=str(model._meta.model_name),
        object_id=current.pk,
        data={"changes": changes, "customers_following": followers},
    )
    return current


def customer_profile_update(
    *, actor: Any, customer: Customer, tier: str, account_manager: Any, lifecycle_stage: str
) -> Customer:
    """Change a customer's tier, account manager and lifecycle stage (staff customer page).

    Tier and account manager follow the organisation (see customer_create_detailed): for a customer
    of an organisation the organisation and all its customers change together, so every contact of
    a key account is served as one. Only holders of customers.change_customer; audited with the
    old and new values. Raises PermissionDenied, ValidationError keyed by field.
    """
    from django.core.exceptions import PermissionDenied

    if not actor.has_perm("customers.change_customer"):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if tier not in Tier.values:
        errors["tier"] = _("Choose a valid tier.")
    if lifecycle_stage not in Lifecycle.values:
        errors["lifecycle_stage"] = _("Choose a valid lifecycle stage.")
    if account_manager is not None and (
        getattr(account_manager, "customer_id", None) or not account_manager.is_active
    ):
        errors["account_manager"] = _("The account manager must be an active member of staff.")
    if errors:
        raise ValidationError(errors)
    before = {
        "tier": customer.tier,
        "account_manager": customer.account_manager_id,
        "lifecycle_stage": customer.lifecycle_stage,
    }
    after = {
        "tier": tier,
        "account_manager": getattr(account_manager, "pk", None),
        "lifecycle_stage": lifecycle_stage,
    }
    changes = {"tier": tier, "account_manager": account_manager, "lifecycle_stage": lifecycle_stage}
    if customer.organisation_id:
        Organisation.objects.filter(pk=customer.organisation_id).update(**changes)
        Customer.objects.filter(organisation_id=customer.organisation_id).update(**changes)
    else:
        Customer.objects.filter(pk=customer.pk).update(**changes)
    customer.refresh_from_db()
    audit_record(
        actor=actor,
        action="customer.update",
        object_type="customer",
        object_id=customer.pk,
        data={"before": before, "after": after, "organisation": customer.organisation_id},
    )
    return customer


# An agent or engineer sees phone numbers masked (SEC-1); revealing one is a personal-data read
# with a stated reason, audited, and limited per user so that it cannot become a bulk export.
REVEAL_LIMIT_PER_HOUR = 20
REVEAL_ACTION = "pii.reveal"


def contact_phone_reveal(*, actor: Any, contact: Contact, reason: str, now: Any = None) -> str:
    """Return the contact's full phone number to a member of staff who gives a reason.

    Writes an audit entry (who, which customer, the reason) — committed even though nothing else
    changes. At most REVEAL_LIMIT_PER_HOUR reveals per user in any hour (counted from the audit
    log, so the limit holds across processes and restarts). Raises ValidationError (no reason,
    no number, limit reached) or PermissionDenied (portal customers, roles without customer access).
    """
    from datetime import timedelta

    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    if getattr(actor, "customer_id", None) or not actor.has_perm("customers.view_customer"):
        raise PermissionDenied
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Say why you need the full number.")})
    if not contact.phone:
        raise ValidationError({"reason": _("This contact has no phone number.")})
    now = now or timezone.now()
    with transaction.atomic():
        recent = audit_count(actor_id=actor.pk, action=REVEAL_ACTION, since=now - timedelta(hours=1))
        if recent >= REVEAL_LIMIT_PER_HOUR:
            msg = _(
                "You have revealed %(n)d numbers in the last hour, the most allowed. "
                "Use click-to-call, or ask your supervisor."
            ) % {"n": REVEAL_LIMIT_PER_HOUR}
            raise ValidationError({"reason": ValidationError(msg, code="rate_limited")})
        audit_record(
            actor=actor,
            action=REVEAL_ACTION,
            object_type="customer",
            object_id=contact.customer_id,
            data={"contact": contact.pk, "fields": ["phone"], "reason": reason[:500]},
        )
    return contact.phone
