"""Plug-ins are declared on the AppConfigs (duban.core.contributions), not guessed by name:
a misspelt declaration stops start-up, and the figures, API routers, ledgers, demo builders,
home panels and intake's hooks come from what the installed apps declare."""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from duban.core.contributions import (
    ApiRouter,
    DemoBuilder,
    HookImpl,
    RegionalModel,
    StatsSection,
    contributions,
    contributions_resolve,
    demo_order,
    hook_targets,
)

# DESIGN §5: `duban stats --json` prints at least these sections with these keys.
DESIGN_STATS = {
    "problems": {"total", "rectified", "rate", "overdue", "by_area"},
    "suggestions": {"total"},
    "tasks": {"total", "done", "overdue", "red", "yellow"},
    "projects": {"total", "started", "investment_total_wan", "investment_done_wan", "by_stage"},
    "rounds": {"total", "expected", "submitted", "on_time_rate"},
    "activities": {"sessions", "audience"},
    "publicity": {"total", "by_level"},
}


def _ids(errors) -> list[str]:
    return [e.id for e in errors]


def test_the_installed_declarations_all_resolve():
    assert contributions_resolve() == []


@pytest.mark.parametrize(("kind", "typo"), [
    ("stats_sections", StatsSection("problems", figures="duban.ledger.figures.figurez")),  # a missing attribute
    ("api_routers", ApiRouter("/problems", "duban.ledgr.api.router")),  # a missing module
    ("demo_builders", DemoBuilder("ledger", "duban.ledger.demo.biuld", after=("accounts",))),
])
def test_a_misspelt_contribution_fails_start_up(monkeypatch, kind, typo):
    monkeypatch.setattr(apps.get_app_config("ledger"), kind, [typo])
    assert "duban.E101" in _ids(contributions_resolve())
    # `duban check` and every command that runs the checks (serve, demo, migrate…) refuse to start.
    with pytest.raises(SystemCheckError, match="duban.E101"):
        call_command("check")
    with pytest.raises(SystemCheckError, match="does not resolve"):
        call_command("serve", "--no-migrate", "--port", "1", skip_checks=False)


def test_wrong_shapes_duplicates_orders_and_hooks_fail_start_up(monkeypatch):
    intake = apps.get_app_config("intake")
    triage = apps.get_app_config("triage")
    monkeypatch.setattr(triage, "api_routers", [ApiRouter("/suggestions", "duban.triage.api.router")])  # taken by intake
    monkeypatch.setattr(triage, "demo_builders", [DemoBuilder("triage", "duban.triage.demo.build", after=("intak",))])
    monkeypatch.setattr(triage, "hook_impls", [HookImpl("intake.reply_flag", "duban.triage.queries.reply_flags")])
    monkeypatch.setattr(intake, "regional_models", [RegionalModel("intake.Sugestion")])
    monkeypatch.setattr(apps.get_app_config("orgs"), "ledgers", ["duban.orgs.io.units_import"])  # a bare string
    ids = _ids(contributions_resolve())
    assert {"duban.E102", "duban.E103", "duban.E104", "duban.E105", "duban.E106"} <= set(ids)


def test_demo_builders_that_wait_on_each_other_are_refused():
    a, b = DemoBuilder("a", "x.a", after=("b",)), DemoBuilder("b", "x.b", after=("a",))
    with pytest.raises(ValueError, match="wait on each other"):
        demo_order([a, b])


def test_demo_builders_run_in_the_declared_order():
    # The seeded demo draws its random numbers in this order: changing it changes the demo.
    keys = [b.key for b in demo_order(contributions("demo_builders"))]
    assert keys == ["orgs", "campaign", "accounts", "ledger", "plan", "projects", "intake", "triage", "rounds"]
    # Declared order is kept where nothing forces a move; a dependency moves a builder later.
    late = DemoBuilder("first", "x.first", after=("second",))
    assert [b.key for b in demo_order([late, DemoBuilder("second", "x.second")])] == ["second", "first"]


@pytest.mark.django_db
def test_stats_sections_come_from_the_appconfigs(monkeypatch):
    out = io.StringIO()
    call_command("stats", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    for section, keys in DESIGN_STATS.items():
        assert keys <= set(figures[section]), section
    from duban.stats import headline

    marker = {"total": 7, "rectified": 3}
    monkeypatch.setattr("duban.ledger.figures.figures", lambda **kw: marker)
    assert headline()["problems"]["total"] == 7  # the ledger's declared section is what is read
    monkeypatch.setattr(apps.get_app_config("ledger"), "stats_sections", [])
    problems = headline()["problems"]
    assert problems["total"] == 0 and set(problems) == DESIGN_STATS["problems"]  # undeclared: the contract's zeros


def test_the_api_mounts_every_declared_router():
    from duban.api import api

    paths = api.get_openapi_schema()["paths"]
    prefixes = [r.prefix for r in contributions("api_routers")]
    assert {"/problems", "/suggestions", "/public", "/triage", "/units", "/campaigns"} <= set(prefixes)
    for prefix in [*prefixes, "/stats"]:
        assert any(p.startswith(f"/api{prefix}") for p in paths), prefix


@pytest.mark.django_db
def test_import_and_export_use_the_declared_ledgers(monkeypatch, tmp_path):
    declared = {d.kind: d for d in contributions("ledgers")}
    assert set(declared) == {"units", "problems", "suggestions", "tasks", "projects"}
    assert declared["problems"].layout == "问题整改台账" and declared["tasks"].layout == "任务分工表" and declared["projects"].layout == "项目库"
    # A kind of DESIGN §5 that no app provides yet is refused plainly, as before.
    with pytest.raises(CommandError, match="尚未提供"):
        call_command("import_ledger", "activities", str(tmp_path / "x.xlsx"))
    monkeypatch.setattr(apps.get_app_config("intake"), "ledgers", [])
    with pytest.raises(CommandError, match="尚未提供"):
        call_command("export_ledger", "suggestions", "--out", str(tmp_path / "s.xlsx"))


def test_asking_for_a_hook_nobody_offers_is_an_error():
    with pytest.raises(LookupError):
        hook_targets("intake.no_such_hook")


@pytest.mark.django_db
def test_home_page_is_assembled_from_the_declared_panels(users, campaign, client_for, monkeypatch):
    c = client_for(users["office"])
    page = c.get("/").content.decode()
    assert "查摆问题" in page and "意见建议" in page and "聚焦领域" in page
    monkeypatch.setattr(apps.get_app_config("ledger"), "home_panels", [])
    page = c.get("/").content.decode()
    assert "查摆问题" not in page and "聚焦领域" not in page and "意见建议" in page


def test_a_wsgi_server_refuses_a_misspelt_contribution(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from duban.core.contributions import contributions_require

    contributions_require()  # the installed declarations are fine
    monkeypatch.setattr(apps.get_app_config("intake"), "hook_impls", [HookImpl("intake.reply_flags", "duban.intake.hooks.nope")], raising=False)
    with pytest.raises(ImproperlyConfigured, match="duban.E101"):
        contributions_require()
