"""Where a page goes back to after a POST: the `next` it was given, if it stays on this site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, *, use_referer: bool = False) -> str:
    """The posted `next` (or the Referer) when it points at this site, else ""."""
    nxt = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if not nxt and use_referer:
        nxt = request.headers.get("Referer", "")
    # Rejects other hosts ("//evil.example/x", "https://evil.example/"), other schemes
    # ("javascript:…") and backslash tricks. Only a path or a URL is taken: a bare word
    # would be read by redirect() as a URL name and fail.
    if nxt.startswith(("/", "http://", "https://")) and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return ""


def redirect_back(request: HttpRequest, fallback: str, *args, use_referer: bool = False) -> HttpResponseRedirect:
    """Redirect to a safe `next`, else to `fallback` (a URL name with `args`, or a path)."""
    return redirect(safe_next(request, use_referer=use_referer) or fallback, *args)
