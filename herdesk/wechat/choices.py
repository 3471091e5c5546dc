from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundTemplate(models.TextChoices):
    """Outbox templates of channel "wechat" (customer-service message API)."""

    TEXT = "wechat_text", _("WeChat text message")


# WeChat API error codes that mean "the access token is stale": refresh once and retry.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
