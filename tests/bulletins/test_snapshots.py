"""Dated snapshots of the headline figures (issue 10 item 9): what `duban stats --json`
printed for a scope on a day, read back identically after the data changed."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from duban.bulletins.models import FigureSnapshot, scope_of
from duban.core.actors import SystemActor
from duban.core.dates import today
from duban.ledger.services import problem_create
from duban.stats import headline, recorded, take_snapshot

TESTER = SystemActor("测试")

DAY = dt.date(2026, 11, 30)


@pytest.fixture
def world(tree, users, campaign):
    problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description="村道路灯不亮", unit=tree["village_a1"], deadline=dt.date(2022, 3, 31))
    problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description="三村饮水不安全", unit=tree["village_b1"], deadline=dt.date(2030, 1, 1))
    return {"tree": tree, "users": users, "campaign": campaign}


def stats_json(*args: str) -> dict:
    out = io.StringIO()
    call_command("stats", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_a_snapshot_reads_back_the_old_figures_after_the_data_changed(world):
    tree, campaign = world["tree"], world["campaign"]
    before = stats_json()
    take_snapshot(DAY, actor=TESTER)
    problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description="集市占道经营", unit=tree["town_a"], deadline=dt.date(2022, 1, 1))
    now = stats_json()
    assert now["problems"]["total"] == 3 and now["problems"]["overdue"] == 2  # the data did change
    assert stats_json("--date", DAY.isoformat()) == before  # …the record did not
    # The campaign's own record (its only campaign: the same figures), the date typed as offices type it.
    assert stats_json("--date", "2026年11月30日", "--campaign", str(campaign.pk)) == before
    # Taking the day again replaces it (same scopes, new figures), never adds a second copy.
    n = FigureSnapshot.objects.filter(taken_on=DAY).count()
    take_snapshot(DAY, actor=TESTER)
    assert FigureSnapshot.objects.filter(taken_on=DAY).count() == n
    assert stats_json("--date", DAY.isoformat()) == now


@pytest.mark.django_db
def test_scopes_are_every_campaign_and_each_region(world):
    tree, campaign = world["tree"], world["campaign"]
    report = take_snapshot(DAY, actor=TESTER)
    scopes = set(FigureSnapshot.objects.filter(taken_on=DAY).values_list("scope", flat=True))
    regions = [tree["town_a"], tree["town_b"], tree["dept"]]
    expected = {scope_of(c, u) for c in (None, campaign.pk) for u in (None, *(r.pk for r in regions))}
    assert scopes == expected and report.scopes == len(expected) == 8


@pytest.mark.django_db
def test_a_region_snapshot_is_what_its_members_see(world):
    tree, users = world["tree"], world["users"]
    live = headline(user=users["liaison_a"])
    assert headline(unit=tree["town_a"]) == live  # the unit= form computes a subtree without a person
    assert live["problems"]["total"] == 1
    take_snapshot(DAY, actor=TESTER)
    assert recorded(DAY, unit_id=tree["town_a"].pk) == json.loads(json.dumps(live, default=str))
    with pytest.raises(ValueError):
        headline(user=users["office"], unit=tree["town_a"])


@pytest.mark.django_db
def test_api_reads_a_day_only_inside_ones_scope(world, client_for, client):
    tree, users = world["tree"], world["users"]
    from duban.orgs.models import Role
    from tests.conftest import _user

    village = _user("village", tree["village_a1"], Role.LIAISON)
    whole = stats_json()
    take_snapshot(DAY, actor=TESTER)
    town_a = recorded(DAY, unit_id=tree["town_a"].pk)
    url = f"/api/stats?date={DAY.isoformat()}"
    assert client_for(users["office"]).get(url).json() == whole
    assert client_for(users["leader"]).get(url).json() == whole
    assert client_for(users["liaison_a"]).get(url).json() == town_a  # its own region by default
    assert client_for(users["liaison_a"]).get(f"{url}&unit={tree['town_a'].pk}").json() == town_a
    # Another town's figures, or the whole district's, are not there for a liaison (404, never 403).
    for who, query in (("liaison_b", f"&unit={tree['town_a'].pk}"), ("liaison_a", f"&unit={tree['town_b'].pk}"),
                       ("outsider", ""), ("outsider", f"&unit={tree['town_a'].pk}")):
        r = client_for(users[who]).get(url + query)
        assert r.status_code == 404 and "快照" in r.json()["detail"], (who, query)
    assert client_for(village).get(url).status_code == 404  # below the regions: nothing recorded for it
    assert client.get(url).status_code == 401
    r = client_for(users["office"]).get("/api/stats?date=2026-11-29")
    assert r.status_code == 404 and "2026-11-29" in r.json()["detail"]
    r = client_for(users["office"]).get("/api/stats?date=2026-02-30")
    assert r.status_code == 422 and "date" in r.json()["detail"]
    assert client_for(users["office"]).get("/api/stats").json() == whole  # without a date: as before


@pytest.mark.django_db
def test_cli_refuses_a_missing_day_and_a_past_snapshot_plainly(world):
    with pytest.raises(CommandError, match="没有 2026-11-30 的统计快照（还没有记录过任何快照"):
        stats_json("--date", "2026-11-30")
    with pytest.raises(CommandError, match="不是日期"):
        stats_json("--date", "十一月")
    with pytest.raises(CommandError, match="只能记录今天"):
        call_command("stats", "snapshot", "--date", (today() - dt.timedelta(days=7)).isoformat(), stdout=io.StringIO())
    out = io.StringIO()
    call_command("stats", "snapshot", stdout=out)
    assert f"已记录 {today():%Y-%m-%d} 的统计快照 8 份" in out.getvalue()
    assert FigureSnapshot.objects.filter(taken_on=today()).count() == 8


@pytest.mark.django_db(transaction=True)
def test_the_worker_takes_the_days_snapshot_at_2350(world, settings):
    from duban.core import schedules
    from duban.core.background import ScheduleWorker
    from duban.core.models import Schedule

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    start = dt.datetime.combine(today(), dt.time(0, 0), tzinfo=schedules.TZ)
    schedules.schedules_sync(now=start)
    s = Schedule.objects.get(key="bulletins-snapshot")
    assert s.rule == "daily" and s.at == dt.time(23, 50) and s.next_run_at == start.replace(hour=23, minute=50)
    Schedule.objects.exclude(pk=s.pk).update(enabled=False)
    worker = ScheduleWorker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                            max_tasks=None, worker_id="w", excluded_queue_names=[], clock=lambda: s.next_run_at + dt.timedelta(seconds=1),
                            schedule_every=0)
    worker.run()
    assert FigureSnapshot.objects.filter(taken_on=today()).count() == 8
    assert recorded(today()) == json.loads(json.dumps(headline(), default=str))


def test_duban_stats_date_exits_1_with_a_chinese_reason(tmp_path: Path):
    env = {**os.environ, "DUBAN_DATA_DIR": str(tmp_path), "DUBAN_DATABASE_URL": ""}
    run = lambda *a: subprocess.run([sys.executable, "-m", "duban.cli", *a], env=env, capture_output=True, text=True, timeout=300)  # noqa: E731
    assert run("migrate").returncode == 0
    r = run("stats", "--json", "--date", "2026-11-30")
    assert r.returncode == 1 and "没有 2026-11-30 的统计快照" in r.stderr and "Traceback" not in r.stderr
