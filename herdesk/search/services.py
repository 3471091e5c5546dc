"""Every write to the search index (KB-2). Ticket services call `search_index_ticket` in their own
transaction; bulk loaders call `search_index_bulk`; `herdesk search reindex` calls
`search_reindex_all`; batch writers (the inbound processor) wrap their batch in
`search_index_deferred` so that the batch's tickets are indexed together before it commits.

The index is derived data: rebuilding it from tickets and interactions is always safe.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from herdesk.common.rowsql import rows_insert
from herdesk.tickets.models import Interaction, Ticket

from .models import SearchDocument
from .text import document_text, document_tokens

BULK_CHUNK = 2000

# The tickets whose documents a `search_index_deferred` block still owes (None: no such block).
_DEFERRED: ContextVar[set[int] | None] = ContextVar("search_index_deferred", default=None)


def search_index_ticket(*, ticket: Ticket) -> None:
    """Upsert one ticket's search document, in the caller's transaction (a new ticket, a new
    interaction). Queries: the ticket with customer and product, its public interactions, the old
    document, the upsert (+ FTS5 delete/insert on SQLite). Side effects: on SQLite the FTS5 row; on
    PostgreSQL a trigger updates search_gramdoc and both GIN indexes take the new grams. Locks: the
    document row (upsert). Inside `search_index_deferred` only the ticket's id is noted: its
    document is written when the block ends, still before the caller's transaction commits."""
    pending = _DEFERRED.get()
    if pending is not None:
        pending.add(ticket.pk)
        return
    with transaction.atomic():
        _index([ticket.pk], timezone.now())


def search_index_new_ticket(*, ticket: Ticket, bodies: list[str]) -> None:
    """`search_index_ticket` for a ticket created in this transaction, whose public texts the caller
    holds (`bodies`: its first interaction): the document is built from the objects in hand and
    inserted, with no read of the ticket, its interactions or an old document (issue 20: indexing
    was a third of a creation's service time). Same result as `search_index_ticket` (a test
    compares the two); inside `search_index_deferred` it defers like that one."""
    pending = _DEFERRED.get()
    if pending is not None:
        pending.add(ticket.pk)
        return
    product = ticket.product if ticket.product_id else None
    text = document_text(
        number=ticket.number,
        subject=ticket.subject,
        customer_name=ticket.customer.name or "",
        product_name=f"{product.name or ''} {product.model_number or ''}".strip() if product else "",
        description=ticket.description,
        interaction_bodies=bodies,
    )
    rows_insert([SearchDocument(ticket_id=ticket.pk, text=text, indexed_at=timezone.now())])
    if connection.vendor == "sqlite":
        _sqlite_fts_insert({ticket.pk: text})


@contextmanager
def search_index_deferred() -> Iterator[set[int]]:
    """Index every ticket that `search_index_ticket` is asked for inside the block once, when the
    block ends without an exception (`search_index_bulk`: six statements for the whole batch instead
    of six per ticket and per message — the inbound processor's batch of 20 emails).

    Use it inside the transaction that holds the batch's writes and commit only after the block:
    the documents then commit with the tickets they describe, so a ticket is searchable as soon as
    it is visible (KB-2), exactly as without deferral. Tickets of a rolled-back savepoint inside
    the block need nothing special: the index is rebuilt from what the database holds at the end
    (a ticket that no longer exists gets no document). On an exception nothing is indexed; the
    caller's transaction rolls back anyway. A nested block joins the outer one."""
    outer = _DEFERRED.get()
    if outer is not None:
        yield outer
        return
    pending: set[int] = set()
    token = _DEFERRED.set(pending)
    try:
        yield pending
    finally:
        _DEFERRED.reset(token)
    # Only reached without an exception: the block's tickets, in one bulk upsert.
    if pending:
        search_index_bulk(pending)


@transaction.atomic
def search_index_bulk(ticket_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Upsert the search documents of these tickets (any number, processed in chunks of 2,000)
    and return how many changed. Unchanged texts are not rewritten; documents of tickets that no
    longer exist are removed. One transaction: a reader sees all of the batch or none of it.

    Measured on the shared 2-core machine (bench/bench_search.py, load average 7-9): ~1,100
    tickets/s on SQLite (FTS5 written directly); on PostgreSQL ~2,600 tickets/s inside
    search_bulk_load() plus ~13 minutes of index builds for a million tickets."""
    return _index(sorted({int(i) for i in ticket_ids}), now or timezone.now())


def _index(ids: list[int], now: datetime) -> int:
    changed = 0
    for start in range(0, len(ids), BULK_CHUNK):
        chunk = ids[start : start + BULK_CHUNK]
        changed += _store(_build_texts(chunk), chunk, now)
    return changed


def search_reindex_all(*, batch: int = 5000, progress: Callable[[int, int], Any] | None = None) -> int:
    """Rebuild every ticket's document; returns how many changed.

    Not one transaction: each batch of `batch` tickets commits on its own (search_index_bulk), so a
    reindex of a million tickets neither holds locks for minutes nor loses its work when stopped;
    running it again continues to be correct (upserts). On SQLite the FTS5 table is first rebuilt
    from the stored documents in one transaction, which also removes rows of deleted tickets.
    `progress(done, total)` is called after each batch."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    if connection.vendor == "sqlite":
        _sqlite_rebuild_fts()
    total = Ticket.objects.count()
    done = changed = 0
    for ids in _id_batches(batch):
        changed += search_index_bulk(ids)
        done += len(ids)
        if progress is not None:
            progress(done, total)
    return changed


def _id_batches(batch: int) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _build_texts(ids: list[int]) -> dict[int, str]:
    bodies: dict[int, list[str]] = defaultdict(list)
    # Internal notes and system events are never searchable: customers search too (SEC-3).
    for tid, body in (
        Interaction.objects.filter(ticket_id__in=ids, is_public=True)
        .order_by("ticket_id", "occurred_at", "id")
        .values_list("ticket_id", "body")
    ):
        bodies[tid].append(body)
    rows = Ticket.objects.filter(pk__in=ids).values_list(
        "pk", "number", "subject", "description", "customer__name", "product__name", "product__model_number"
    )
    return {
        pk: document_text(
            number=number,
            subject=subject,
            customer_name=customer_name or "",
            product_name=f"{product_name or ''} {model or ''}".strip(),
            description=description,
            interaction_bodies=bodies.get(pk, ()),
        )
        for pk, number, subject, description, customer_name, product_name, model in rows
    }


def _store(texts: dict[int, str], ids: list[int], now: datetime) -> int:
    old = dict(SearchDocument.objects.filter(pk__in=ids).values_list("pk", "text"))
    gone = [pk for pk in ids if pk not in texts and pk in old]
    changed = {pk: text for pk, text in texts.items() if old.get(pk) != text}
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        _sqlite_fts_delete({pk: old[pk] for pk in [*gone, *changed] if pk in old})
    if gone:
        SearchDocument.objects.filter(pk__in=gone).delete()
    if changed:
        SearchDocument.objects.bulk_create(
            [SearchDocument(ticket_id=pk, text=text, indexed_at=now) for pk, text in changed.items()],
            update_conflicts=True,
            unique_fields=["ticket"],
            update_fields=["text", "indexed_at"],
        )
        if sqlite:
            _sqlite_fts_insert(changed)
    return len(changed) + len(gone)


# The PostgreSQL objects of migration 0002 that make writes slow; re-created by search_bulk_load.
_PG_BULK_DROP = [
    "DROP TRIGGER IF EXISTS search_document_gramdoc ON search_document",
    "DROP INDEX IF EXISTS search_document_trgm",
    "DROP INDEX IF EXISTS search_gramdoc_grams",
]
_PG_BULK_CREATE = [
    "SET LOCAL maintenance_work_mem = '512MB'",
    "INSERT INTO search_gramdoc (ticket_id, text) SELECT ticket_id, text FROM search_document "
    "ON CONFLICT (ticket_id) DO UPDATE SET text = EXCLUDED.text "
    "WHERE search_gramdoc.text IS DISTINCT FROM EXCLUDED.text",
    "DELETE FROM search_gramdoc g "
    "WHERE NOT EXISTS (SELECT 1 FROM search_document d WHERE d.ticket_id = g.ticket_id)",
    "SET CONSTRAINTS ALL IMMEDIATE",  # the deferred FK checks, before CREATE INDEX may run
    "CREATE INDEX IF NOT EXISTS search_document_trgm ON search_document USING gin (text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_gramdoc_grams "
    "ON search_gramdoc USING gin (herdesk_search_grams(text))",
    "CREATE TRIGGER search_document_gramdoc AFTER INSERT OR UPDATE OF text ON search_document "
    "FOR EACH ROW EXECUTE FUNCTION herdesk_search_gramdoc_sync()",
    # Back to Django's INITIALLY DEFERRED foreign keys for the rest of a caller's transaction.
    "SET CONSTRAINTS ALL DEFERRED",
    # The header box chooses its plan from the gram index's statistics (search.box, issue #15):
    # gather them now rather than whenever autovacuum gets to a freshly loaded table (~3 s at 1M).
    "ANALYZE search_gramdoc",
]


@contextmanager
def search_bulk_load() -> Iterator[None]:
    """Load many documents fast (initial load, benchmark data): on PostgreSQL the two GIN indexes
    and the sync trigger are dropped for the duration, then search_gramdoc is refilled in one
    statement and the indexes are built once (for a million tickets, minutes instead of an hour of
    row-by-row GIN maintenance). Inside the block write search_document with search_index_bulk or
    COPY (columns ticket_id, text; text already normalised). Searches meanwhile are slow and may
    see partial results: not for a live system. On SQLite a no-op (FTS5 is written directly)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        for sql in _PG_BULK_DROP:
            cur.execute(sql)
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cur:
            for sql in _PG_BULK_CREATE:
                cur.execute(sql)


# --- SQLite FTS5 (contentless): a row is removed by repeating exactly the tokens it was added with,
# which are recomputed from the stored text. Only these functions write search_fts, always in the
# same transaction as search_document, so the two never disagree.


def _sqlite_fts_delete(texts: dict[int, str]) -> None:
    if texts:
        with connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', %s, %s)",
                [(pk, document_tokens(text)) for pk, text in texts.items()],
            )


def _sqlite_fts_insert(texts: dict[int, str]) -> None:
    with connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO search_fts (rowid, tokens) VALUES (%s, %s)",
            [(pk, document_tokens(text)) for pk, text in texts.items()],
        )


@transaction.atomic
def _sqlite_rebuild_fts() -> None:
    """Empty search_fts and fill it again from search_document (repairs any disagreement)."""
    with connection.cursor() as cur:
        cur.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
    last = 0
    while True:
        docs = SearchDocument.objects.filter(pk__gt=last).order_by("pk")
        rows = list(docs.values_list("pk", "text")[:5000])
        if not rows:
            return
        _sqlite_fts_insert(dict(rows))
        last = rows[-1][0]
