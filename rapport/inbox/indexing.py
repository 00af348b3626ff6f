"""Insert messages in bulk and index their text for search in the same transaction.

On SQLite a row trigger keeps the FTS5 index in step with every insert, but
FTS5 indexes a batch five times faster from one `INSERT ... SELECT` than from
a trigger firing per row. `insert_messages` switches the trigger off for its
own rows only (a row in `inbox_message_fts_deferred`, written and removed
inside the caller's transaction, so no other connection ever sees it) and
indexes them in one statement. Edits and deletions still go through the
update and delete triggers. PostgreSQL's expression index needs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from rapport.inbox.models import Message
from rapport.lib import bulk

_CHUNK = 900  # SQLite's historical limit on parameters per statement


def insert_messages(rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT message rows (attname -> value, with a `public_id`) and return their ids."""
    if not rows:
        return []
    if connection.vendor != "sqlite":
        return bulk.insert_values(Message, rows)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("INSERT INTO inbox_message_fts_deferred (batch) VALUES (1)")
        ids = bulk.insert_values(Message, rows)
        cursor.execute("DELETE FROM inbox_message_fts_deferred")
        index_messages(ids)
    return ids


def index_messages(ids: Sequence[int]) -> None:
    """Add these messages' text to the SQLite full-text index, in as few statements as can be."""
    if not ids or connection.vendor != "sqlite":
        return
    insert = "INSERT INTO inbox_message_fts(rowid, text) SELECT id, text FROM inbox_message WHERE "
    ordered = sorted(ids)
    with connection.cursor() as cursor:
        if ordered[-1] - ordered[0] + 1 == len(ordered):
            cursor.execute(insert + "id BETWEEN %s AND %s", [ordered[0], ordered[-1]])
            return
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            cursor.execute(insert + f"id IN ({', '.join(['%s'] * len(chunk))})", chunk)
