"""Chinese text search with a character-bigram index, shared by the ledger and the inbox.

Chinese has no spaces and most words have two characters, so trigram indexes (pg_trgm)
cannot serve them. Each row's text is turned into its distinct character bigrams
("优化营商环境" → "优化 化营 营商 商环 环境"), stored in a plain text column
(`search_terms`), and indexed:

* PostgreSQL: a GIN index on `string_to_array(search_terms COLLATE "C", ' ')`. A query
  is the containment `@> ARRAY[bigrams]`: GIN intersects the bigrams' posting lists.
* SQLite: an FTS5 table over the same column (external content, detail=none; new rows
  are added by `index_new`, updates and deletes by triggers), queried with
  `"营商" AND "商环"`.

A query word of three or more characters is re-checked with a substring match, so that
"营商环境" does not match "环境…营商" (bigrams say nothing about adjacency across pairs). A
one-character word has no bigram: it uses the index where single characters are indexed
too (`unigrams`, the inbox), and falls back to a plain substring scan elsewhere (the
ledger). Several words (split by spaces or punctuation) must all occur.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
_RUN_CHARS: dict[str, list[str]] = {}  # word run → its bigrams and its characters


def terms_text(*texts: str, unigrams: bool = False, _findall=_RUN.findall) -> str:
    """The `search_terms` value of a row whose searchable text is `texts` (same terms as
    `bigrams`; with `unigrams`, every character too, so one-character words use the index).

    Called once per row of a 270,000-row import: the terms of each word run are cached
    (unit names, topics and stock phrases recur), so most runs cost one dict lookup.
    """
    cache = _RUN_CHARS if unigrams else _RUN_TERMS
    parts: list[str] = []
    for text in texts:
        for run in _findall(text.lower() if text else ""):
            terms = cache.get(run)
            if terms is None:
                if len(cache) > 200_000:
                    cache.clear()
                terms = [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]
                if unigrams and len(run) > 1:
                    terms += list(dict.fromkeys(run))
                cache[run] = terms
            parts += terms
    return " ".join(dict.fromkeys(parts))


def query_words(q: str) -> list[str]:
    return [w for w in _RUN.findall((q or "").lower()) if w]


@dataclass(frozen=True)
class TextIndex:
    """The bigram index of one table: its DDL for both databases and its query condition."""

    table: str  # "ledger_problem"
    name: str  # prefix of the GIN index and the FTS table: "ledger_problem"
    column: str = "search_terms"
    # Index single characters too: one-character words (路, 水, 电 in an inbox) use the index
    # instead of a scan of every row, for about twice the terms per row.
    unigrams: bool = False

    def terms(self, *texts: str) -> str:
        """The column's value for a row whose searchable text is `texts`."""
        return terms_text(*texts, unigrams=self.unigrams)

    @property
    def fts(self) -> str:
        return f"{self.name}_fts"

    @property
    def gin(self) -> str:
        return f"{self.name}_terms_gin"

    def condition(self, terms: list[str]):
        """A WHERE condition: the row's terms contain every one of `terms`."""
        if connection.vendor == "postgresql":
            return RawSQL(f"string_to_array({self.table}.{self.column} COLLATE \"C\", ' ') @> %s::text[]", (terms,),
                          output_field=BooleanField())
        if connection.vendor == "sqlite":
            match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
            return RawSQL(f"{self.table}.id IN (SELECT rowid FROM {self.fts} WHERE {self.fts} MATCH %s)", (match,),
                          output_field=BooleanField())
        cond = Q()
        for t in terms:
            cond &= Q(**{f"{self.column}__contains": t})
        return cond

    def filter(self, queryset: QuerySet, q: str, fields: tuple[str, ...]) -> QuerySet:
        """Narrow `queryset` to rows whose `fields` hold every word of `q`."""
        words = query_words(q)
        if not words:
            return queryset
        return queryset.filter(self.q_object(words, fields))

    def q_object(self, words: list[str], fields: tuple[str, ...]):
        terms: list[str] = []
        for w in words:
            if len(w) >= 2 or self.unigrams:
                terms.extend(t for t in bigrams(w) if t not in terms)
        cond = Q(self.condition(terms[:MAX_QUERY_TERMS])) if terms else Q()
        for w in words:
            # Adjacency re-check: a two-character word is its own bigram, and the index says it
            # all (as it does for one character when single characters are indexed).
            if len(w) > 2 or (len(w) == 1 and not self.unigrams):
                either = Q()
                for f in fields:
                    either |= Q(**{f"{f}__icontains": w})
                cond &= either
        return cond

    def index_new(self, first_id: int, last_id: int) -> None:
        """Add newly inserted rows (ids first..last) to the SQLite FTS table.

        Inserts are indexed in one statement after the rows are written (a per-row trigger
        made a 270,000-row import ten times slower); updates and deletes are kept in step by
        triggers. PostgreSQL's GIN index needs nothing.
        """
        if connection.vendor != "sqlite":
            return
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {self.fts}(rowid, {self.column}) SELECT id, {self.column} FROM {self.table} WHERE id BETWEEN %s AND %s",
                        [first_id, last_id])

    # --- DDL (used by migrations) ---

    def pg_create(self) -> list[str]:
        # The bigrams compare bytewise (COLLATE "C"): they are only ever tested for equality,
        # and a GIN build takes 2.1 s instead of 3.0 s for 270,000 rows with a linguistic
        # collation. Queries must write the same expression to use the index.
        return [f"CREATE INDEX IF NOT EXISTS {self.gin} ON {self.table} USING gin (string_to_array({self.column} COLLATE \"C\", ' '))"]

    def pg_drop(self) -> list[str]:
        return [f"DROP INDEX IF EXISTS {self.gin}"]

    def sqlite_create(self) -> list[str]:
        t, f, c = self.table, self.fts, self.column
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {f} USING fts5({c}, content='{t}', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0', detail=none, columnsize=0)",
            f"CREATE TRIGGER IF NOT EXISTS {f}_ad AFTER DELETE ON {t} BEGIN "
            f"INSERT INTO {f}({f}, rowid, {c}) VALUES ('delete', old.id, old.{c}); END",
            f"CREATE TRIGGER IF NOT EXISTS {f}_au AFTER UPDATE OF {c} ON {t} BEGIN "
            f"INSERT INTO {f}({f}, rowid, {c}) VALUES ('delete', old.id, old.{c}); "
            f"INSERT INTO {f}(rowid, {c}) VALUES (new.id, new.{c}); END",
        ]

    def sqlite_drop(self) -> list[str]:
        f = self.fts
        return [f"DROP TRIGGER IF EXISTS {f}_au", f"DROP TRIGGER IF EXISTS {f}_ad", f"DROP TRIGGER IF EXISTS {f}_ai", f"DROP TABLE IF EXISTS {f}"]

    def create(self, schema_editor, *, rebuild: bool = False) -> None:
        """Create the index; `rebuild` also fills the FTS table from rows already there."""
        vendor = schema_editor.connection.vendor
        for sql in self.pg_create() if vendor == "postgresql" else self.sqlite_create() if vendor == "sqlite" else []:
            schema_editor.execute(sql)
        if rebuild and vendor == "sqlite":
            schema_editor.execute(f"INSERT INTO {self.fts}({self.fts}) VALUES ('rebuild')")

    def drop(self, schema_editor) -> None:
        vendor = schema_editor.connection.vendor
        for sql in self.pg_drop() if vendor == "postgresql" else self.sqlite_drop() if vendor == "sqlite" else []:
            schema_editor.execute(sql)
