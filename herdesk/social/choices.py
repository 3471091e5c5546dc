from django.db import models
from django.utils.translation import gettext_lazy as _


class SocialKind(models.TextChoices):
    MENTION = "mention", _("Mention")
    COMMENT = "comment", _("Comment")
    DIRECT_MESSAGE = "direct_message", _("Direct message")
