"""Bearer-token guessing is throttled per client address, so the API is no oracle for tokens.

The API takes no passwords at all (session or bearer token only), so password guessing is
left to the login page's lockout; a run of wrong tokens from one address gets 429.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from duban.core import ratelimit


def _limit() -> tuple[int, int]:
    """(wrong tokens allowed, window seconds) per address; settings may override DUBAN_BAD_TOKEN_LIMIT."""
    return tuple(getattr(settings, "DUBAN_BAD_TOKEN_LIMIT", (20, 600)))


def _key(request: HttpRequest) -> str:
    return f"bad-token:{ratelimit.client_ip(request)}"


def token_guessing_blocked(request: HttpRequest) -> bool:
    limit, window = _limit()
    return ratelimit.count(_key(request), window) >= limit


def token_failed(request: HttpRequest) -> None:
    limit, window = _limit()
    ratelimit.hit(_key(request), limit, window)
