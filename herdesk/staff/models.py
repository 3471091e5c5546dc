"""Staff users and teams (STF-1). Roles are permission groups defined in roles.py."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A department of the service centre (客户服务部, 技术支持, 售后服务, ...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    lead = models.ForeignKey(
        "staff.User",
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TicketHold(models.TextChoices):
    """Why a staff member may not take tickets yet (empty: they may). Set only through
    `staff.services.user_ticket_hold_set`: training's onboarding (STF-2) sets and clears it, and
    `tickets.services.ticket_assign` refuses to assign a ticket to a person on hold."""

    NONE = "", _("none")
    ONBOARDING = "onboarding", _("onboarding not completed")


class User(AbstractUser):
    """A person who signs in: staff (with a team and role groups) or a portal customer (customer set)."""

    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    extension = models.CharField(_("phone extension"), max_length=20, blank=True)
    ticket_hold = models.CharField(
        _("may not take tickets"), max_length=20, choices=TicketHold.choices, default="", blank=True
    )
    # Set for customer portal accounts: the customer this login acts for (SEC-3).
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="logins",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_customer(self) -> bool:
        return self.customer_id is not None


class ApiToken(models.Model):
    """A per-user API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # SEC-1: least privilege per token. `read` = GET, `write` = changes, `admin` = manage other
    # users' tokens (and only for administrators). Tokens made before scopes existed keep read+write.
    scopes = models.CharField(_("scopes"), max_length=40, default="read,write")
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split(",") if s]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scope_list
