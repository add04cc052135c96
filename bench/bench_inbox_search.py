"""The inbox's text search on a built demo (city on SQLite, province on PostgreSQL): the page
`/intake/?q=…` as the office, a leader and a town liaison, for one-, two-, three-character and
two-word searches, p50 and p95 of the whole response (session, middleware, template).

Floor, same run: the bare index probe of the same words — the ids of the newest 20 matching
suggestions, in SQL written by hand (GIN containment on PostgreSQL, FTS5 MATCH on SQLite) —
and, for comparison, the substring scan the inbox used before the index (`icontains` on
title, body and place, counted).

    DUBAN_DATA_DIR=… [DUBAN_DATABASE_URL=…] .venv/bin/python bench/bench_inbox_search.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import machine, p95, result, setup_django  # noqa: E402

WORDS = ("路", "供暖", "停车难", "老旧小区 供暖")
ROLES = ("admin", "leader", "unit1")


def _ms(fn, repeat: int) -> list[float]:
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    if not os.environ.get("DUBAN_DATA_DIR"):
        raise SystemExit("set DUBAN_DATA_DIR (and DUBAN_DATABASE_URL) to a built demo: duban demo --scale city --no-serve")
    setup_django()
    from bench_pages import login
    from django.conf import settings
    from django.db import connection
    from django.db.models import Q

    from duban.core.textsearch import bigrams, query_words
    from duban.intake.models import Suggestion
    from duban.intake.search import INDEX

    settings.ALLOWED_HOSTS = ["*"]
    n = Suggestion.objects.count()
    print(f"{machine()}; {connection.vendor}, {n:,} suggestions; load {os.getloadavg()[0]:.1f}")

    def probe(q: str):
        terms = [t for w in query_words(q) for t in bigrams(w)]
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SELECT id FROM intake_suggestion WHERE string_to_array(search_terms COLLATE \"C\", ' ') @> %s::text[] "
                            "ORDER BY submitted_at DESC LIMIT 20", [terms])
            else:
                match = " AND ".join(f'"{t}"' for t in terms)
                cur.execute(f"SELECT s.id FROM intake_suggestion s WHERE s.id IN (SELECT rowid FROM {INDEX.fts} WHERE {INDEX.fts} MATCH %s) "
                            "ORDER BY s.submitted_at DESC LIMIT 20", [match])
            return cur.fetchall()

    floors = {q: _ms(lambda q=q: probe(q), args.repeat) for q in WORDS}
    worst = (0.0, "", "")
    print(f"{'role':8}{'search':16}{'p50 ms':>9}{'p95 ms':>9}{'floor p95':>11}")
    for role in ROLES:
        c = login(role)
        for q in WORDS:
            times = _ms(lambda q=q, c=c: c.get("/intake/", {"q": q}), args.repeat)
            print(f"{role:8}{q:16}{statistics.median(times):9.1f}{p95(times):9.1f}{p95(floors[q]):11.2f}")
            worst = max(worst, (p95(times), role, q))
    scan = []
    for q in WORDS[1:3]:
        t0 = time.perf_counter()
        Suggestion.objects.filter(Q(title__icontains=q) | Q(body__icontains=q) | Q(place__icontains=q)).count()
        scan.append((time.perf_counter() - t0) * 1000)
    print(f"the substring scan of before (icontains, counted): {', '.join(f'{x:.0f} ms' for x in scan)}")
    figure, role, q = worst
    result(f"inbox search page, worst p95 ({role}, q={q}), {n:,} suggestions, {connection.vendor}", figure, "ms",
           p95(floors[q]), "bare index probe of the same words, newest 20", target="p95 ≤ 150 ms")


if __name__ == "__main__":
    main()
