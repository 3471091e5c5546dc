"""Vendor-specific gram indexes around search_document (see docs/architecture/search.md).

SQLite: an FTS5 contentless table of gram tokens. PostgreSQL: pg_trgm on the text, and the narrow
search_gramdoc copy (kept equal by a trigger) with a GIN index of 1- and 2-character grams.
"""

from django.db import migrations

# 1-char and 2-char grams of a normalised text, as a tsvector, computed by C functions only
# (string_to_array and regexp_replace): pairs at even offsets, then pairs at odd offsets.
# Grams containing a space are harmless extras (no query term contains a space).
PG_GRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION herdesk_search_grams(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 5000 AS $$
  SELECT array_to_tsvector(array_remove(
      string_to_array(t, NULL)
      || string_to_array(regexp_replace(t, '(..)', E'\\1\x01', 'g'), E'\x01')
      || string_to_array(regexp_replace(substr(t, 2), '(..)', E'\\1\x01', 'g'), E'\x01'),
    ''))
$$
"""

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    PG_GRAMS_FUNCTION,
    "CREATE INDEX search_document_trgm ON search_document USING gin (text gin_trgm_ops)",
    # Keep the heap of search_gramdoc narrow (~90 bytes a row) so an exact count of a frequent
    # gram visits few pages: every row is made longer than the 2 kB TOAST threshold by a padding
    # column that compresses to a few bytes, and toast_tuple_target 128 then moves the text out.
    "ALTER TABLE search_gramdoc SET (toast_tuple_target = 128)",
    "ALTER TABLE search_gramdoc ADD COLUMN toast_pad text NOT NULL DEFAULT repeat(' ', 2100)",
    "CREATE INDEX search_gramdoc_grams ON search_gramdoc USING gin (herdesk_search_grams(text))",
    r"""
CREATE OR REPLACE FUNCTION herdesk_search_gramdoc_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_gramdoc (ticket_id, text) VALUES (NEW.ticket_id, NEW.text)
  ON CONFLICT (ticket_id) DO UPDATE SET text = EXCLUDED.text
  WHERE search_gramdoc.text IS DISTINCT FROM EXCLUDED.text;
  RETURN NULL;
END
$$
""",
    "CREATE TRIGGER search_document_gramdoc AFTER INSERT OR UPDATE OF text ON search_document "
    "FOR EACH ROW EXECUTE FUNCTION herdesk_search_gramdoc_sync()",
]

PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_document_gramdoc ON search_document",
    "DROP FUNCTION IF EXISTS herdesk_search_gramdoc_sync()",
    "DROP INDEX IF EXISTS search_gramdoc_grams",
    "ALTER TABLE search_gramdoc DROP COLUMN IF EXISTS toast_pad",
    "DROP INDEX IF EXISTS search_document_trgm",
    "DROP FUNCTION IF EXISTS herdesk_search_grams(text)",
]

SQLITE_FORWARD = [
    # Contentless (the text lives in search_document), no positions: only "which rows have all
    # these tokens" is asked. Tokens are hex code points (herdesk.search.text.gram_token).
    "CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='', detail='none', tokenize='ascii')",
]

SQLITE_BACKWARD = ["DROP TABLE IF EXISTS search_fts"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
