"""Crawl the district demo as every role and check every page it reaches.

The demo of `duban demo` is built once (fixture `district_demo`), then each role logs in
through the login form (CSRF enforced) and follows everything reachable from the
navigation with GET: lists, their filters (status tabs, sorts, every option of the
filter forms, pagination), a sample of each kind of detail page, the htmx fragments the
pages load, and the downloads. See tests/crawler.py for what is followed and what not.

Every page must answer without a server error, print no template variable that failed
to resolve, and refuse (403/404) only where the permission rule says so; downloads must
be 200 with the right content type. Pages the role's navigation does not offer are
probed directly for their refusal, and each liaison's detail pages are tried by the
other liaison (404: another unit's item is not revealed) and by an anonymous visitor.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.test import Client
from django.urls import resolve

from tests.crawler import MARKER, XLSX, Crawler, PageParser, Visit, form_variants

pytestmark = pytest.mark.django_db
PASSWORD = "duban-demo"
STAFF = ["admin", "leader", "unit1", "unit2"]

# Pages only some roles may open: URL → status for (leader, liaison). The office opens all.
# The crawl also meets some of them through links (the nav links 热点问题 for everybody).
RESTRICTED = {
    "/audit/": (403, 403),
    "/ledger/import/": (403, 403),
    "/intake/import/": (403, 403),
    "/units/import/": (403, 403),
    "/plan/import/": (403, 403),
    "/ledger/new/": (403, 200),  # the leader reads only
    "/intake/new/": (403, 200),  # the liaison records calls for its own unit
    "/triage/hot/": (200, 403),
    "/triage/models/": (200, 403),
    "/plan/new/": (403, 403),  # the plan is built by the office
    "/plan/lights/": (403, 403),
    "/projects/import/": (403, 403),  # the project library is registered by the office
    "/projects/new/": (403, 403),
    "/projects/lights/": (403, 403),
    "/projects/pools/": (403, 403),
}
# A refusal is right only where no page offered the way there: a link that answers 403 is
# an action offered to a role that cannot use it (issue 9, item 8).
# Pages no link leads to (checked all the same, as extra starting points).
ORPHANS = ["/triage/models/", "/plan/import/", "/projects/import/"]
# Views that answer a GET with a redirect: a unit list without a query (→ the home unit),
# a tracking-code look-up (→ its status page).
REDIRECTS = {"orgs:unit_list", "public:lookup"}
# Downloads and the content type each must have ("" = the file's own, checked against its bytes).
DOWNLOADS = {"ledger:problem_export": XLSX, "intake:export": XLSX, "plan:export": XLSX, "projects:export": XLSX, "projects:file_download": "", "ledger:evidence_download": "", "intake:photo": "image/"}
MAGIC = {XLSX: b"PK\x03\x04", "image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff", "application/pdf": b"%PDF"}
# Detail pages that belong to the unit whose liaison opened them.
UNIT_OWNED = {"ledger:problem_detail", "ledger:problem_edit", "ledger:evidence_download", "intake:detail", "intake:photo", "orgs:unit_detail",
              "projects:project", "projects:record", "projects:file_download"}

# Each crawl must at least reach these (a crawl that silently reached nothing would pass).
COMMON = {
    "home", "ledger:problem_list", "ledger:problem_detail", "ledger:problem_export", "ledger:summary", "ledger:my_items",
    "intake:inbox", "intake:detail", "intake:export", "intake:channels", "campaigns:list", "campaigns:detail",
    "orgs:unit_list", "orgs:unit_detail", "public:submit", "api:openapi-view", "api:openapi-json",
    "plan:item_list", "plan:mine", "plan:leader", "plan:warnings", "plan:item", "plan:map", "plan:schedule", "plan:baselines",
    "projects:list", "projects:warnings", "projects:board", "projects:figures", "projects:project", "projects:export",
}
MUST_REACH = {
    "admin": COMMON | {"audit:list", "ledger:problem_import", "ledger:problem_edit", "ledger:evidence_download", "intake:import",
                       "intake:new", "orgs:unit_import", "triage:hot", "triage:models", "triage:reply_check", "plan:import", "plan:export", "plan:item_new", "plan:light_rule",
                       "plan:item_edit", "projects:import", "projects:project_new", "projects:project_edit", "projects:light_rule", "projects:pools",
                       "projects:nodes"},
    "leader": COMMON | {"ledger:evidence_download", "triage:hot", "triage:models", "projects:mine"},
    # (the demo's suggestions in the two towns are all closed: no reply form, no reply check)
    # (each town liaison is the 项目秘书 of its town's projects: 我的项目 and the record form)
    "unit1": COMMON | {"ledger:problem_edit", "projects:mine", "projects:record"},
    "unit2": COMMON | {"ledger:problem_edit", "projects:mine", "projects:record"},
}


def login(username: str) -> Client:
    """A client logged in the way a person does it: the login page, its CSRF token, the form."""
    c = Client(enforce_csrf_checks=True, raise_request_exception=False)
    page = c.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    r = c.post("/login/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert r.status_code == 302 and r["Location"] == "/", (username, r.status_code)
    return c


def crawler(client: Client, **kw) -> Crawler:
    # Exports are the slow pages: a few filtered ones tell as much as every filter.
    return Crawler(client, samples={"q": ["供暖"]}, per_view={"ledger:problem_export": 4, "intake:export": 4, "projects:export": 4}, **kw)


def allowed_refusal(role: str, visit: Visit) -> bool:
    if role == "admin":
        return False
    for url, (leader, liaison) in RESTRICTED.items():
        if resolve(url).view_name == visit.view:
            return visit.status == (leader if role == "leader" else liaison)
    return False


def defects(role: str, visits: list[Visit]) -> list[str]:
    """Everything wrong with the crawl's responses: one line per kind of defect and view,
    with how many pages showed it and a few of them (and the page that linked there)."""
    found: dict[tuple[str, str], list[str]] = {}
    for v in visits:
        what = _defect(role, v)
        if what:
            found.setdefault((v.view, what), []).append(f"{v.url}{' [htmx]' if v.hx else ''} (from {v.via})")
    return [f"{view}: {what} — {len(urls)} page(s): " + "; ".join(urls[:3]) for (view, what), urls in found.items()]


def _defect(role: str, v: Visit) -> str:
    if v.status >= 500:
        return f"{v.status} {v.error}"
    if v.invalid:
        return f"unresolved template variable {v.invalid_vars[:4] or v.invalid[:1]}"
    if v.status in (403, 404):
        if not allowed_refusal(role, v):
            return f"{v.status}, not a refusal the permission rule makes for {role}"
        return f"{v.status}: offered to {role} by a link, then refused" if v.via != "(start)" else ""
    if v.status in (301, 302, 303, 307, 308):
        if role == "anonymous":
            return ""
        if v.view not in REDIRECTS:
            return f"{v.status} unexpected redirect to {v.location}"
        return f"{v.status} sent a logged-in {role} to the login page" if v.location.startswith("/login/") else ""
    if v.status != 200:
        return f"{v.status}"
    codes = raw_codes(v)
    if codes:
        return f"raw codes on screen {codes[:5]}"
    if v.view in DOWNLOADS:
        want = DOWNLOADS[v.view] or v.content_type
        magic = next((m for t, m in MAGIC.items() if v.content_type.startswith(t)), None)
        if not v.content_type.startswith(want) or v.content_type.startswith("text/html"):
            return f"download with content type {v.content_type!r}, expected {want!r}"
        if magic is not None and not v.body.startswith(magic):
            return f"download whose bytes {v.body!r} are not {v.content_type}"
    return ""


# What a person must never read on a page: Python values, MIME types, code-like names
# (sign_off, import_update; a file name such as hot_messages.csv is a name, not a code).
RAW_CODE = re.compile(r"\b(?:True|False|None)\b|\{'|\b(?:image|application|text)/[a-z][\w.+-]*|\b[a-z]+(?:_[a-z]+)+\b(?!\.\w)")
# Pages that show code on purpose (the API's own docs) or raw text people typed or imported.
CODE_PAGES = {"api:openapi-view", "api:openapi-json"}


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|textarea)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def raw_codes(v: Visit) -> list[str]:
    if v.view in CODE_PAGES or not v.content_type.startswith("text/html") or v.status != 200:
        return []
    html = v.body.decode("utf-8", "replace")
    # …and a badge reading as a bare English word on a Chinese page (a timeline's `claim`).
    badges = re.findall(r'class="badge[^"]*">\s*([a-z_]+)\s*<', html) if 'lang="zh-hans"' in html else []
    return sorted(set(RAW_CODE.findall(visible_text(html))) | set(badges))


def summary(role: str, visits: list[Visit]) -> str:
    counts = Counter((v.view, v.status) for v in visits)
    return f"{role}: {len(visits)} requests, " + ", ".join(f"{view} {status}×{n}" for (view, status), n in sorted(counts.items()))


def test_crawl_marker_catches_unresolved_variables(strict_templates):
    """The check itself can fail: a variable the view does not pass is seen, one covered by
    |default or tested by {% if %} is not (as in production)."""
    from django.template import engines

    engine = engines["django"]
    assert MARKER in engine.from_string("<b>{{ missing }}</b>").render({})
    assert MARKER in engine.from_string("{{ obj.missing }}").render({"obj": object()})
    assert engine.from_string("{{ missing|default:'—' }}{% if missing %}x{% endif %}").render({}) == "—"


def test_crawler_reads_what_a_person_can_reach():
    """Links and filters are followed; logout, POST forms and other sites are not."""
    page = PageParser()
    page.feed(
        """<body hx-headers='{"X-CSRFToken": "t"}'><a href="/ledger/?page=2">下一页</a><a href="https://example.com/">外站</a>"""
        """<form method="post" action="/logout/"><button>退出</button></form>"""
        """<form method="get" action="/audit/"><select name="verb"><option value="">全部</option><option>problem.create</option></select></form>"""
        """<textarea hx-post="/triage/reply-check/1/" hx-trigger="keyup changed delay:600ms, load"></textarea></body>"""
    )
    crawler = Crawler(client=None)
    assert [crawler._local("/ledger/", href) for _, href in page.links] == ["/ledger/?page=2", None]
    assert crawler._local("/", "/logout/") is None and crawler._local("/", "/i18n/setlang/") is None
    assert page.load_posts == ["/triage/reply-check/1/"] and page.csrf_header == "t"
    assert [f.method for f in page.forms] == ["post", "get"]
    assert form_variants(page.forms[1], {}) == [[("verb", "")], [("verb", "problem.create")]]


@pytest.mark.parametrize("role", STAFF)
def test_crawl_as_staff(role, district_demo, strict_templates):
    client = login(role)
    visits = crawler(client).crawl("/", *ORPHANS)
    problems = defects(role, visits)
    missing = MUST_REACH[role] - {v.view for v in visits}
    assert not problems and not missing, (
        f"{len(problems)} defects as {role}:\n" + "\n".join(problems)
        + (f"\nthe crawl never reached {sorted(missing)}" if missing else "") + "\n" + summary(role, visits)
    )

    # Pages the navigation does not offer this role answer as the rule says.
    if role != "admin":
        for url, (leader, liaison) in RESTRICTED.items():
            want = leader if role == "leader" else liaison
            assert client.get(url).status_code == want, (role, url)

    # A liaison's own items are another town's liaison's 404, and an anonymous visitor's login page.
    if role in ("unit1", "unit2"):
        other = login("unit2" if role == "unit1" else "unit1")
        anonymous = Client()
        own = sorted({v.url for v in visits if v.view in UNIT_OWNED and v.status != 403})
        assert {resolve(u.split("?")[0]).view_name for u in own} >= {"ledger:problem_detail", "intake:detail", "orgs:unit_detail"}
        for url in own:
            assert other.get(url).status_code == 404, (role, url)
            r = anonymous.get(url)
            assert r.status_code == 302 and r["Location"].startswith("/login/"), (url, r.status_code)


def test_crawl_public_pages_anonymously(district_demo, strict_templates):
    from duban.intake.models import Suggestion

    # A citizen reaches a status page through the code they were given: one of each status.
    codes = []
    for status in Suggestion.objects.values_list("status", flat=True).distinct().order_by("status"):
        codes.append(Suggestion.objects.filter(status=status).order_by("pk").values_list("tracking_code", flat=True).first())
    assert len(codes) >= 3
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    visits = Crawler(client, samples={"code": codes}).crawl("/s/")
    problems = defects("anonymous", visits)
    reached = Counter(v.view for v in visits if v.status == 200)
    assert reached["public:submit"] and reached["public:lookup"] and reached["public:status"] == len(codes), summary("anonymous", visits)
    assert not problems, f"{len(problems)} defects on the public pages:\n" + "\n".join(problems)
    # Nothing of the staff side opens without an account.
    for url in ["/", "/ledger/", "/intake/", "/triage/hot/", "/campaigns/", "/units/", "/audit/", "/ledger/export.xlsx", "/intake/export/"]:
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), (url, r.status_code)
    assert client.get("/api/problems").status_code == 401


def test_district_demo_has_taobei_clues(district_demo, db):
    """洮北's clue figures (受理611条，查结595条，正在核查16条，非管移送85条) come out of the demo
    as the seeds count them: the transferred ones are among the concluded."""
    from duban.stats import headline

    clues = headline()["suggestions"]["clues"]
    assert clues == {"received": 611, "closed": 595, "verifying": 16, "transferred": 85, "pending": 0, "closed_rate": 0.9738}
    assert headline()["suggestions"]["callbacks"] > 0
