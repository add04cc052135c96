"""Fixed-window rate limits kept in the shared cache (the database by default, Redis in production).

The cache must be shared by every worker process: with a per-process cache, N gunicorn
workers let N times the limit through. Counting is `cache.add` (first hit of a window)
then `cache.incr`, which are atomic in Redis and in `duban.core.cache.DatabaseCache`.
"""

from __future__ import annotations

import functools
import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind N reverse proxies set DUBAN_TRUST_X_FORWARDED_FOR=N (1 = one proxy).

    The address is taken N entries from the right of X-Forwarded-For: entries further left
    were written by the client itself and could be anything (a fresh one per request would
    dodge every limit).
    """
    from django.conf import settings

    hops = int(getattr(settings, "DUBAN_TRUST_X_FORWARDED_FOR", 0) or 0)
    if hops:
        entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if entries:
            return entries[-min(hops, len(entries))]
    return request.META.get("REMOTE_ADDR", "0.0.0.0")


def _bucket(key: str, window_s: int) -> str:
    return f"rl:{key}:{int(time.time() // window_s)}"


def hit(key: str, limit: int, window_s: int) -> bool:
    """Count one hit; False when `key` has gone over `limit` in the current window."""
    bucket = _bucket(key, window_s)
    for _ in range(3):
        if cache.add(bucket, 1, timeout=window_s + 1):
            return limit >= 1
        try:
            return cache.incr(bucket) <= limit
        except ValueError:
            continue  # the bucket expired between add and incr: start it again
    return False


def count(key: str, window_s: int) -> int:
    """Hits of `key` so far in the current window (without counting one)."""
    return int(cache.get(_bucket(key, window_s), 0))


def rate_limited(scope: str, limit: int, window_s: int = 60, methods: tuple[str, ...] = ("POST",)):
    """View decorator: answers 429 with a Chinese message once an IP exceeds the limit."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method in methods and not hit(f"{scope}:{client_ip(request)}", limit, window_s):
                resp = HttpResponse("提交过于频繁，请稍后再试。", status=429, content_type="text/plain; charset=utf-8")
                resp["Retry-After"] = str(window_s)
                return resp
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
