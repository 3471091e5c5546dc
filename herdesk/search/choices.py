"""How a query is answered; the names appear in `herdesk search explain` output and in search.md."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MatchPlan(models.TextChoices):
    """Which index finds the candidates for a query (see docs/architecture/search.md)."""

    # Every term has one or two characters: the gram index alone is exact, nothing to verify.
    GRAMS_EXACT = "grams_exact", _("Character grams (exact)")
    # A longer term: PostgreSQL pg_trgm / SQLite FTS5 bigrams give candidates, checked with strpos/instr.
    VERIFIED = "verified", _("Candidates verified against the text")
