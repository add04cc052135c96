"""Figures that take a scan of a big table, cached until the data under them changes.

A cached figure is stored under the current *data version*: a counter in the cache that
every write of the figures' data bumps (audit.services bumps it for each audited write of
the ledger, suggestions, units and campaigns; the few unaudited bulk paths call `bump`
themselves). A write therefore makes every cached figure unreachable at once: what a page
shows is never older than the last committed write, only its first reader after that write
pays for the scan.

The bump happens twice: at once, inside the writing transaction (the database cache rolls
it back with the transaction; a reader of the same transaction sees its own write), and
again after the commit: a reader that recounted while the write was still invisible to it
may have stored the old figures under the first bump (Redis is not transactional), and the
second bump leaves them behind. The version is read *before* the figures are counted, so
figures stored under a version are never older than it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
VERSION_KEY = "duban:figures:version"
TIMEOUT = 6 * 3600  # a figure nobody reads again is dropped eventually; the version is what keeps them exact


def _fresh() -> int:
    # A lost or culled version starts again from the clock: never a number used before.
    return time.time_ns()


def data_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh(), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version or 0)


def _bump_now() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or culled): any new number will do
        cache.set(VERSION_KEY, _fresh(), timeout=None)


def bump() -> None:
    """The figures' data changed (call inside the writing transaction, or after a write)."""
    _bump_now()
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(entry[1] is _bump_now for entry in conn.run_on_commit):
        return  # one bump after the commit is enough for a transaction of many writes
    transaction.on_commit(_bump_now)


def cached(name: str, parts: Any, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned under the current data version for the same `parts`
    (a repr-able description of everything the figure depends on besides the data: the
    scope, the campaign, the grouping, today's date)."""
    version = data_version()
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
    key = f"duban:figures:{name}:{version}:{digest}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    cache.set(key, value, timeout=TIMEOUT)
    return value
