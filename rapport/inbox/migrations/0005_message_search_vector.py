"""PostgreSQL: keep each message's search vector in a stored column.

The expression index made every search that PostgreSQL answers by walking
recent messages (newest first, the usual case) parse each row's text again:
200 ms for two common words at a million messages. A stored generated column
is parsed once, when the row is written, and its GIN index replaces the
expression index. SQLite keeps its FTS5 table; nothing changes there.
"""

from django.db import migrations

POSTGRES_UP = [
    "ALTER TABLE inbox_message ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED",
    "CREATE INDEX IF NOT EXISTS inbox_message_search_vector "
    "ON inbox_message USING GIN (search_vector)",
    "DROP INDEX IF EXISTS inbox_message_text_fts",
]
POSTGRES_DOWN = [
    "CREATE INDEX IF NOT EXISTS inbox_message_text_fts "
    "ON inbox_message USING GIN (to_tsvector('simple', text))",
    "DROP INDEX IF EXISTS inbox_message_search_vector",
    "ALTER TABLE inbox_message DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("inbox", "0004_message_search_in_batches")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN))]
