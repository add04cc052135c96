"""Shared fixtures: a small district with two towns, the four kinds of user, a campaign.

The same suite runs on SQLite (default) and PostgreSQL (DUBAN_DATABASE_URL set); the
data dir is a throw-away temp dir so tests never touch a real installation.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile

import pytest

from duban.core.actors import SystemActor


@pytest.fixture(autouse=True)
def _default_language():
    """A test that switches to English (the CLI's DUBAN_LANGUAGE, translation.activate) must
    not leave the next test in English."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with no rate-limit counters.

    The default cache is a database table: a test's rollback (or a transactional test's
    flush) empties it, and a test without database access cannot reach it. Any other
    cache (Redis via DUBAN_REDIS_URL) is cleared here.
    """
    from django.core.cache import cache, caches
    from django.core.cache.backends.db import BaseDatabaseCache

    if isinstance(caches["default"], BaseDatabaseCache):
        yield
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tree(db):
    """洮北区 → 平安镇 (→ 一村, 二村), 洮河镇 (→ 三村), 区财政局."""
    return build_tree()


def build_tree() -> dict:
    from duban.orgs.models import UnitKind
    from duban.orgs.services import unit_create

    a = SystemActor("测试")
    root = unit_create(actor=a, name="洮北区", kind=UnitKind.COUNTY)
    town_a = unit_create(actor=a, name="平安镇", kind=UnitKind.TOWN, parent=root)
    town_b = unit_create(actor=a, name="洮河镇", kind=UnitKind.TOWN, parent=root)
    return {
        "root": root,
        "town_a": town_a,
        "town_b": town_b,
        "village_a1": unit_create(actor=a, name="一村", kind=UnitKind.VILLAGE, parent=town_a),
        "village_a2": unit_create(actor=a, name="二村", kind=UnitKind.VILLAGE, parent=town_a),
        "village_b1": unit_create(actor=a, name="三村", kind=UnitKind.VILLAGE, parent=town_b),
        "dept": unit_create(actor=a, name="区财政局", kind=UnitKind.DEPARTMENT, parent=root),
    }


def _user(username, unit, role):
    from django.contrib.auth import get_user_model

    from duban.orgs.services import membership_set

    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    membership_set(actor=SystemActor("测试"), user=user, unit=unit, role=role)
    return user


@pytest.fixture
def users(tree):
    """office and leader at the district, liaison_a at 平安镇, liaison_b at 洮河镇, outsider with no unit."""
    return build_users(tree)


def build_users(tree: dict) -> dict:
    from django.contrib.auth import get_user_model

    from duban.orgs.models import Role

    return {
        "office": _user("office", tree["root"], Role.OFFICE),
        "leader": _user("leader", tree["root"], Role.LEADER),
        "liaison_a": _user("liaison_a", tree["town_a"], Role.LIAISON),
        "liaison_b": _user("liaison_b", tree["town_b"], Role.LIAISON),
        "outsider": get_user_model().objects.create_user(username="outsider", password="pw-outsider"),
    }


@pytest.fixture
def campaign(tree):
    return build_campaign(tree)


def build_campaign(tree: dict):
    from duban.campaigns.services import campaign_create

    return campaign_create(actor=SystemActor("测试"), name="解放思想大讨论", unit=tree["root"], start_date=dt.date(2021, 11, 9))


@pytest.fixture
def client_for(client):
    """client_for(user) → a test client logged in as that user."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser); skipped when absent."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls of
    # the test itself are still synchronous, so Django's async guard does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser page (desktop size); `page.base` is the live server's URL."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    pg = context.new_page()
    pg.base = live_server.url
    yield pg
    context.close()


@pytest.fixture
def strict_templates(settings):
    """Templates print tests.crawler.MARKER where a `{{ }}` variable fails to resolve."""
    import copy

    from tests.crawler import MARKER

    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = MARKER
    settings.TEMPLATES = templates


@pytest.fixture(scope="module")
def district_demo(django_db_setup, django_db_blocker):
    """The district demo of `duban demo` (181 units, 36 problems, 611 suggestions, routers,
    hot issues), built once in the test database for the module that asks for it.

    It lives in a transaction that is rolled back when the module ends: a session-wide
    build would leak its rows into every later test, which count on an empty database.
    Tests of the module still take the `db` fixture, so each runs in a savepoint and
    leaves the demo as it found it. Hot issues are built from the demo's own suggestions
    (not the shared TipDM file), so they link to suggestion pages, and faster.
    """
    from django.db import transaction
    from django.test.utils import override_settings

    from duban.demo.build import build_demo

    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as mp:
        mp.setenv("DUBAN_SHARED_DATA", os.path.join(tempfile.gettempdir(), "duban-no-shared-data"))
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                ctx = build_demo("district", log=lambda *_: None)
            yield ctx
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def api_world(tree, users, campaign):
    """One problem with evidence, one routed suggestion, a plan item: real ids so API-wide tests (hostile
    input, schema fuzzing) get past 404s."""
    from duban.intake import services as intake_services
    from duban.ledger import services as ledger_services
    from duban.ledger.demo import tiny_png

    problem = ledger_services.problem_create(
        actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="一村垃圾清运不及时", unit=tree["village_a1"], deadline=dt.date(2030, 1, 1),
    )
    evidence = ledger_services.problem_add_evidence(actor=SystemActor("测试"), skip_checks=True, problem=problem, name="现场.png", data=tiny_png())
    s = intake_services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="村里路灯坏了很久没人修。", contact_phone="13812345678")
    s = intake_services.suggestion_route(actor=SystemActor("测试"), skip_checks=True, suggestion=s, unit=tree["town_a"])
    from duban.plan import services as plan_services

    aspect = plan_services.item_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign,
                                       new=plan_services.NewItem(title="基础设施", lead_unit=tree["root"]))
    item = plan_services.item_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, new=plan_services.NewItem(
        title="一村道路硬化", lead_unit=tree["village_a1"], co_units=[tree["town_b"]], parent=aspect, deadline=dt.date(2030, 1, 1)))
    from duban.projects import services as project_services

    project = project_services.project_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, new=project_services.NewProject(
        name="一村污水处理站", unit=tree["town_a"], department=tree["dept"], total_wan="1200", planned_start=dt.date(2026, 3, 1)))
    from django.utils import timezone

    from duban.rounds import services as round_services

    # A round asking 平安镇 (its project) and 一村 (its problem).
    rnd = round_services.round_open(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, name="第1周工作进展", scope="units",
                                    units=[tree["town_a"], tree["village_a1"]], due_at=timezone.now() + dt.timedelta(days=3))
    return {
        "project": project, "round": rnd, "item": item, "aspect": aspect, "problem": problem, "evidence": evidence, "suggestion": s, "campaign": campaign, "unit": tree["town_a"],
        "area": campaign.focus_areas.order_by("position").first(), "users": users, "tree": tree,
    }


@pytest.fixture(autouse=True)
def _fresh_work_calendar():
    """The working-day calendar caches years per process; each test's rollback may change them."""
    from duban.core import workcalendar

    workcalendar.calendar().clear()
    yield
    workcalendar.calendar().clear()


@pytest.fixture(scope="session", autouse=True)
def _tasks_inline():
    """Background tasks run inline in tests (the immediate path, as DUBAN_TASKS_IMMEDIATE=1
    does), so a test sees their effect at once; tests of the worker switch back to the
    database backend (tests/core/test_worker.py)."""
    from django.test.utils import override_settings

    inline = override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
    inline.enable()
    yield
    inline.disable()


@pytest.fixture
def robots():
    """Local DingTalk and WeCom robots on 127.0.0.1 that record what they are sent (tests/notify/servers.py)."""
    import threading

    from tests.notify.servers import RobotServer

    server = RobotServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
