"""The search index (KB-2): one normalised text per ticket, plus vendor-specific gram indexes.

`SearchDocument.text` is the ticket's searchable text after `herdesk.search.text.normalise`
(number, subject, customer, product, description, public interactions; capped). Queries match it
by substring, exactly. Around it, created by migration 0002 and written only by the services:

- SQLite: `search_fts`, an FTS5 contentless table of gram tokens (rowid = ticket id).
- PostgreSQL: a pg_trgm GIN index on `search_document.text`, and `SearchGramDocument`
  (`search_gramdoc`), a narrow copy whose text lives out of line (TOAST) and which carries a GIN
  index of one- and two-character grams, so exact counts read few heap pages.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="+", db_column="ticket_id"
    )
    text = models.TextField(_("indexed text"))
    # db_default lets bulk loaders (COPY) omit the column.
    indexed_at = models.DateTimeField(_("indexed at"), db_default=Now())

    class Meta:
        db_table = "search_document"
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"{self.pk}: {self.text[:40]}"


class SearchGramDocument(models.Model):
    """PostgreSQL only (empty on SQLite): kept equal to SearchDocument by a database trigger.

    A Django model (rather than a table made by hand) so that test flushes and cascading deletes
    know about it. Its extra `toast_pad` column and GIN index exist only in the database.
    """

    document = models.OneToOneField(
        SearchDocument, primary_key=True, on_delete=models.CASCADE, related_name="+", db_column="ticket_id"
    )
    text = models.TextField()

    class Meta:
        db_table = "search_gramdoc"
