from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from .choices import VersionStatus
from .models import PolicyVersion


def policy_version_in_force(*, at: datetime) -> PolicyVersion | None:
    """The approved version of the active policy with the latest effective date at or before `at`."""
    return (
        PolicyVersion.objects.filter(policy__is_active=True, status=VersionStatus.APPROVED)
        .filter(Q(effective_from__lte=at) | Q(effective_from__isnull=True))
        .order_by("-effective_from", "-number")
        .first()
    )


def policy_versions() -> list[PolicyVersion]:
    return list(
        PolicyVersion.objects.select_related("policy", "approved_by").order_by("policy__code", "-number")
    )
