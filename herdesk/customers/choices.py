from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class OrgKind(models.TextChoices):
    FARM = "farm", _("Farm / ranch")
    DISTRIBUTOR = "distributor", _("Distributor")
    RETAILER = "retailer", _("Retailer")
    ENTERPRISE = "enterprise", _("Enterprise")


class Tier(models.TextChoices):
    KEY_ACCOUNT = "key_account", _("Key account")
    REGULAR = "regular", _("Regular")


class Lifecycle(models.TextChoices):
    NEW = "new", _("New")
    GROWING = "growing", _("Growing")
    MATURE = "mature", _("Mature")
    DECLINING = "declining", _("Declining")
