from django.db import models
from django.utils.translation import gettext_lazy as _


class SmsPurpose(models.TextChoices):
    """Why a text is sent. Providers in China file templates per purpose, so adapters key on it."""

    LOGIN_CODE = "login_code", _("Sign-in verification code")
    TICKET_ACK = "ticket_ack", _("Request received")
    TICKET_PROGRESS = "ticket_progress", _("Progress update")
    NOTICE = "notice", _("Notice")
