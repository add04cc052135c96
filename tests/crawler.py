"""A small same-site crawler over Django's test client, for tests/test_crawl.py.

It follows what a person can reach with GET from the pages: links, htmx `hx-get`
fragments (and `hx-post` fragments the page fires by itself on load), images and
stylesheets, redirects, and GET forms (filters) submitted with each of their options.
It never POSTs a form, never follows logout, the language switch or links off-site.
Every response is recorded; the tests decide what is a failure.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.urls import Resolver404, resolve

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEVER_FOLLOW = ("/logout/", "/i18n/")


class InvalidMarker(str):
    """`string_if_invalid` for the crawl: printed where a `{{ }}` variable failed to resolve.

    Falsy on purpose, so templates behave as in production: Django applies the filters to
    a falsy `string_if_invalid` (`{{ x.name|default:"—" }}` still prints "—"), whereas a
    truthy one — "%s" or not — is returned as is, bypassing every filter, and would flag
    correct templates. `{% if %}` and `{% for %}` never see it (they resolve missing
    variables to None).
    """

    def __bool__(self) -> bool:
        return False


MARKER = InvalidMarker("INVALID_VAR")


@dataclass
class Form:
    method: str
    action: str
    hx_get: str | None
    fields: list[dict] = field(default_factory=list)


class PageParser(HTMLParser):
    """Links, fragments, assets and GET forms of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (kind, url)
        self.load_posts: list[str] = []  # hx-post fired by the page itself (hx-trigger "load")
        self.forms: list[Form] = []
        self.csrf_header: str | None = None
        self._form: Form | None = None
        self._select: dict | None = None
        self._option_text: list[str] | None = None  # an <option> without value="" is worth its text
        self._option_selected = False
        self._swagger = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body" and a.get("hx-headers"):
            self.csrf_header = json.loads(a["hx-headers"]).get("X-CSRFToken")
        if tag == "a" and a.get("href"):
            self.links.append(("a", a["href"]))
        if tag in ("img", "script") and a.get("src"):
            self.links.append(("asset", a["src"]))
        if tag == "link" and a.get("href"):
            self.links.append(("asset", a["href"]))
        self._swagger = tag == "script" and a.get("id") == "swagger-settings"
        if a.get("hx-get") and tag != "form":
            self.links.append(("hx", a["hx-get"]))
        if a.get("hx-post") and "load" in (a.get("hx-trigger") or "").replace(",", " ").split():
            self.load_posts.append(a["hx-post"])
        if tag == "form":
            self._form = Form(method=(a.get("method") or "get").lower(), action=a.get("action") or "", hx_get=a.get("hx-get"))
            self.forms.append(self._form)
        elif self._form is not None and a.get("name"):
            if tag == "input":
                kind = (a.get("type") or "text").lower()
                if kind not in ("submit", "button", "file", "image", "reset"):
                    self._form.fields.append({"name": a["name"], "type": kind, "value": a.get("value", ""), "checked": "checked" in a})
            elif tag == "select":
                self._select = {"name": a["name"], "type": "select", "options": [], "value": None}
                self._form.fields.append(self._select)
            elif tag == "textarea":
                self._form.fields.append({"name": a["name"], "type": "textarea", "value": ""})
        if tag == "option" and self._select is not None:
            self._option_text = [] if "value" not in a else None
            self._option_selected = "selected" in a
            value = a.get("value", "")
            self._select["options"].append(value)
            if "selected" in a:
                self._select["value"] = value

    def handle_data(self, data):
        if self._option_text is not None:
            self._option_text.append(data)
        # The API docs page loads its schema from the URL in its settings block.
        if getattr(self, "_swagger", False) and data.strip():
            url = json.loads(data).get("url")
            if url:
                self.links.append(("a", url))
            self._swagger = False

    def handle_endtag(self, tag):
        if tag == "option" and self._option_text is not None and self._select is not None:
            text = "".join(self._option_text).strip()
            if self._option_selected:
                self._select["value"] = text
            self._select["options"][-1] = text
            self._option_text = None
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if self._select["value"] is None:  # a browser submits the first option
                self._select["value"] = self._select["options"][0] if self._select["options"] else ""
            self._select = None


def form_variants(form: Form, samples: dict[str, list[str]], max_options: int = 6) -> list[list[tuple[str, str]]]:
    """The form as rendered, then one change at a time: each option of each select
    (a spread of at most `max_options`), each unchecked checkbox ticked, and the sample
    values given for text fields by name."""
    base: list[tuple[str, str]] = []
    for f in form.fields:
        if f["type"] in ("checkbox", "radio"):
            if f["checked"]:
                base.append((f["name"], f["value"] or "on"))
        else:
            base.append((f["name"], f["value"] or ""))
    variants = [base]

    def with_value(name: str, value: str) -> list[tuple[str, str]]:
        out = [(k, v) for k, v in base if k != name]
        return [*out, (name, value)]

    for f in form.fields:
        if f["type"] == "select":
            opts = f["options"]
            if len(opts) > max_options:
                step = (len(opts) - 1) / (max_options - 1)
                opts = [opts[round(i * step)] for i in range(max_options)]
            variants += [with_value(f["name"], o) for o in opts if o != f["value"]]
        elif f["type"] == "checkbox" and not f["checked"]:
            variants.append([*base, (f["name"], f["value"] or "on")])
        elif f["name"] in samples:
            variants += [with_value(f["name"], v) for v in samples[f["name"]]]
    return variants


@dataclass
class Visit:
    url: str
    status: int
    view: str  # the URL name ("ledger:problem_detail"), "static" or "?" when unresolved
    route: str
    via: str  # the page that led here
    hx: bool = False
    content_type: str = ""
    location: str = ""
    error: str = ""  # traceback summary of a 5xx
    invalid: list[str] = field(default_factory=list)  # excerpts around INVALID_VAR
    invalid_vars: list[str] = field(default_factory=list)  # (template: variable) that failed to resolve
    body: bytes = b""
    elapsed: float = 0.0


class _TemplateFailures(logging.Handler):
    """Collects Django's debug log of variables that failed to resolve (names the culprit)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record):
        if record.msg.startswith("Exception while resolving variable") and len(record.args) == 2:
            self.seen.append(f"{record.args[1]}: {record.args[0]}")


def _summary(exc_info) -> str:
    if not exc_info:
        return ""
    etype, value, tb = exc_info
    frames = [f for f in traceback.extract_tb(tb) if "/duban/" in f.filename] or traceback.extract_tb(tb)[-1:]
    where = " ← ".join(f"{f.filename.split('/src/')[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-3:]))
    return f"{etype.__name__}: {str(value)[:200]} @ {where}"


@dataclass
class Crawler:
    client: object
    samples: dict[str, list[str]] = field(default_factory=dict)
    per_pattern: int = 5  # pages of one URL pattern with arguments (detail pages)
    per_source: int = 2  # …of which at most this many linked from one page
    per_query_shape: int = 6  # list pages with the same query parameter names
    per_view: dict[str, int] = field(default_factory=dict)  # URL name → at most this many (e.g. exports)
    max_requests: int = 1500
    visits: list[Visit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._seen: set[tuple[str, bool]] = set()
        self._count: Counter = Counter()
        self._queue: deque = deque()
        self._forms_done: set[tuple] = set()

    # -- what to follow
    def _local(self, base: str, href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            return None
        parts = urlsplit(urljoin(base, href))
        if parts.scheme not in ("http", "") or parts.netloc not in ("", "testserver"):
            return None  # off-site
        path = parts.path or "/"
        if path.startswith(NEVER_FOLLOW):
            return None
        return path + (f"?{parts.query}" if parts.query else "")

    def _keys(self, url: str, via: str) -> list[tuple[tuple, int]]:
        """The budgets this URL counts against, with their limits."""
        parts = urlsplit(url)
        try:
            match = resolve(parts.path)
        except Resolver404:
            return []
        keys = [((match.view_name,), self.per_view[match.view_name])] if match.view_name in self.per_view else []
        if match.kwargs:
            return [*keys, ((match.route,), self.per_pattern), ((match.route, via), self.per_source)]
        names = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
        return [*keys, ((match.route, names), self.per_query_shape)] if names else keys

    def enqueue(self, url: str, via: str, *, hx: bool = False, post: bool = False, csrf: str | None = None, forced: bool = False) -> None:
        if (url, hx) in self._seen:
            return
        keys = self._keys(url, via) if not forced else []
        if any(self._count[k] >= limit for k, limit in keys):
            return
        for k, _ in keys:
            self._count[k] += 1
        self._seen.add((url, hx))
        self._queue.append((url, via, hx, post, csrf))

    # -- the crawl
    def crawl(self, *starts: str) -> list[Visit]:
        for s in starts:
            self.enqueue(s, "(start)", forced=True)
        while self._queue:
            if len(self.visits) >= self.max_requests:
                raise AssertionError(f"crawl did not converge within {self.max_requests} requests")
            self._fetch(*self._queue.popleft())
        return self.visits

    def _fetch(self, url: str, via: str, hx: bool, post: bool, csrf: str | None) -> None:
        headers = {"HX-Request": "true"} if hx else {}
        if csrf:
            headers["X-CSRFToken"] = csrf
        failures = _TemplateFailures()
        tlog = logging.getLogger("django.template")
        old_level = tlog.level
        old_propagate = tlog.propagate
        # A 5xx is recorded with its traceback summary; Django's own error log of it would
        # only bury the crawl's report.
        rlog = logging.getLogger("django.request")
        rlog.disabled = True
        tlog.setLevel(logging.DEBUG)
        tlog.propagate = False  # keep these debug lines out of pytest's captured log
        tlog.addHandler(failures)
        try:
            started = time.perf_counter()
            resp = (self.client.post if post else self.client.get)(url, headers=headers)
            # Reading a streamed body to its end closes it the way the test client wants;
            # closing it again would fire request_finished unguarded, and Django would drop
            # the (PostgreSQL) connection holding the demo's open transaction.
            body = b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content
            elapsed = time.perf_counter() - started
        finally:
            tlog.removeHandler(failures)
            tlog.setLevel(old_level)
            tlog.propagate = old_propagate
            rlog.disabled = False
        try:
            match = resolve(urlsplit(url).path)
            view, route = match.view_name, match.route
        except Resolver404:
            view, route = ("static", "static/") if url.startswith("/static/") else ("?", "?")
        ctype = resp.get("Content-Type", "")
        visit = Visit(url=url, status=resp.status_code, view=view, route=route, via=via, hx=hx, content_type=ctype,
                      location=resp.get("Location", ""), error=_summary(getattr(resp, "exc_info", None)), elapsed=elapsed)
        self.visits.append(visit)
        if ctype.startswith("text/html"):
            text = body.decode("utf-8", "replace")
            visit.body = body
            at = 0
            while (at := text.find(MARKER, at)) >= 0:
                visit.invalid.append(text[max(0, at - 80): at + 40].replace("\n", " "))
                at += len(MARKER)
            if visit.invalid:
                visit.invalid_vars = sorted(set(failures.seen))
            if 200 <= resp.status_code < 300:
                self._follow(url, text)
        elif ctype.startswith("application/json"):
            visit.body = body
        else:
            visit.body = body[:8]  # enough to check a file's magic bytes
        if resp.status_code in (301, 302, 303, 307, 308) and visit.location:
            nxt = self._local(url, visit.location)
            if nxt:
                self.enqueue(nxt, url, forced=True)

    def _follow(self, url: str, text: str) -> None:
        page = PageParser()
        page.feed(text)
        for kind, href in page.links:
            target = self._local(url, href)
            if target is None:
                continue
            if kind == "asset" and not target.startswith("/static/") and "/photos/" not in target:
                continue
            self.enqueue(target, url, hx=kind == "hx")
        for href in page.load_posts:
            target = self._local(url, href)
            if target:
                self.enqueue(target, url, hx=True, post=True, csrf=page.csrf_header)
        for form in page.forms:
            if form.method != "get":
                continue
            action = self._local(url, form.hx_get or form.action or url)
            if action is None:
                continue
            action = action.split("?")[0]
            # Each filter form is expanded once, from the first page that shows it: the
            # pages its variants lead to show it again with other values.
            shape = (action, tuple(f["name"] for f in form.fields))
            if shape in self._forms_done:
                continue
            self._forms_done.add(shape)
            changed: set[str] = set()
            for i, params in enumerate(form_variants(form, self.samples)):
                target = f"{action}?{urlencode(params)}" if params else action
                # Filters are what the page offers: each variant is followed (bounded by
                # the options themselves), the pages they lead to count against budgets.
                self.enqueue(target, url, forced=True)
                # htmx swaps in the same table: one fragment per filter field tells whether
                # that partial renders, without fetching every option twice.
                field_name = params[-1][0] if i else ""  # the first variant is the form as shown
                if form.hx_get and field_name not in changed:
                    changed.add(field_name)
                    self.enqueue(target, url, hx=True, forced=True)
