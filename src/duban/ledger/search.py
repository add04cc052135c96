"""Text search over problem descriptions: the bigram index of core/textsearch.py on
`ledger_problem.search_terms` (GIN on PostgreSQL, FTS5 + triggers on SQLite, created by
migration 0002 and re-created bytewise by 0008)."""

from __future__ import annotations

from django.db.models import QuerySet

from duban.core.textsearch import MAX_QUERY_TERMS, TextIndex, bigrams, query_words, terms_text

__all__ = ["MAX_QUERY_TERMS", "INDEX", "bigrams", "query_words", "terms_text", "index_new", "search_filter"]

INDEX = TextIndex(table="ledger_problem", name="ledger_problem")


def index_new(first_id: int, last_id: int) -> None:
    """Add newly inserted problems (ids first..last) to the SQLite FTS table."""
    INDEX.index_new(first_id, last_id)


def search_filter(queryset: QuerySet, q: str) -> QuerySet:
    """Narrow a Problem queryset to descriptions containing every word of `q`."""
    return INDEX.filter(queryset, q, ("description",))


# --- index DDL, as the migrations ran it ---
PG_CREATE = INDEX.pg_create()
PG_CREATE_0002 = ["CREATE INDEX IF NOT EXISTS ledger_problem_terms_gin ON ledger_problem USING gin (string_to_array(search_terms, ' '))"]
PG_DROP = INDEX.pg_drop()
SQLITE_CREATE = INDEX.sqlite_create()
SQLITE_DROP = INDEX.sqlite_drop()


def create_index(schema_editor) -> None:
    INDEX.create(schema_editor)


def drop_index(schema_editor) -> None:
    INDEX.drop(schema_editor)
