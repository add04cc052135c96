"""Figures that take a scan of a big table, cached until the data under them changes.

A cached figure is stored under the current *data version*: a counter in the cache that
every write of the figures' data bumps (audit.services bumps it for each audited write of
the ledger, suggestions, units and campaigns; the few unaudited bulk paths call `bump`
themselves). A write therefore makes every cached figure unreachable at once: what a page
shows is never older than the last committed write, only its first reader after that write
pays for the scan.

Inside a transaction the shared version is not touched: a write there marks the transaction
(its outermost atomic block) instead, and that transaction's own reads use private keys of
its own (it sees its writes, and still caches between them); the shared version is bumped
once the transaction commits. Bumping the shared counter inside the transaction would hold
its row lock (database cache) until the commit, and every other writer of the installation
would queue behind a long import. A reader that counted while a write was still invisible
to it stores its figures under the old version, which the commit's bump leaves behind; the
version is read *before* the figures are counted, so figures stored under a version are
never older than it.
"""

from __future__ import annotations

import hashlib
import secrets
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


def reset() -> None:
    """Forget every cached figure at once (after a restore replaced the data under them: no
    write bumped the version, and a Redis cache outlives the database). The new version is
    larger than any used before, so an old entry can never be read again."""
    old = cache.get(VERSION_KEY)
    cache.set(VERSION_KEY, max(_fresh(), int(old or 0) + 1), timeout=None)


def _outer_block():
    conn = transaction.get_connection()
    return conn.atomic_blocks[0] if conn.in_atomic_block and conn.atomic_blocks else None


def bump() -> None:
    """The figures' data changed (call inside the writing transaction, or after a write)."""
    block = _outer_block()
    if block is None:
        _bump_now()
        return
    # Marked on the block object itself: it ends with the transaction, committed or not.
    token, n = getattr(block, "_duban_figures", (secrets.token_hex(6), 0))
    block._duban_figures = (token, n + 1)
    # One shared bump per transaction, after it commits. Looked up rather than counted: a
    # callback registered inside a savepoint that was rolled back is gone, and a later write
    # of the same transaction must register it again.
    conn = transaction.get_connection()
    if not any(entry[1] is _bump_now for entry in conn.run_on_commit):
        transaction.on_commit(_bump_now)


def _version() -> str:
    """The shared data version, or a private one in a transaction that wrote figures' data."""
    version = data_version()
    block = _outer_block()
    mark = getattr(block, "_duban_figures", None) if block is not None else None
    return f"{version}.{mark[0]}.{mark[1]}" if mark else str(version)


def cached(name: str, parts: Any, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned under the current data version for the same `parts`
    (a repr-able description of everything the figure depends on besides the data: the
    scope, the campaign, the grouping, today's date)."""
    version = _version()
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
    key = f"duban:figures:{name}:{version}:{digest}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    cache.set(key, value, timeout=TIMEOUT)
    return value
