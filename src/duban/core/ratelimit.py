"""Fixed-window rate limits kept in the cache (locmem on a laptop, Redis in production)."""

from __future__ import annotations

import functools
import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


def client_ip(request: HttpRequest) -> str:
    # Behind a reverse proxy set DUBAN_TRUST_X_FORWARDED_FOR=1 so the real client counts.
    from django.conf import settings

    if getattr(settings, "DUBAN_TRUST_X_FORWARDED_FOR", False):
        fwd = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if fwd:
            return fwd.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "0.0.0.0")


def hit(key: str, limit: int, window_s: int) -> bool:
    """Count one hit; False when `key` has gone over `limit` in the current window."""
    bucket = f"rl:{key}:{int(time.time() // window_s)}"
    if cache.add(bucket, 1, timeout=window_s + 1):
        return True
    try:
        n = cache.incr(bucket)
    except ValueError:
        cache.set(bucket, 1, timeout=window_s + 1)
        n = 1
    return n <= limit


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
