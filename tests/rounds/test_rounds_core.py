"""Report rounds: who is asked, one form per unit applied through the items' own services,
punctuality, return and lock, chasing only the units that have not submitted, escalating
after the due time, one digest per robot group; cadences; the CLI and the figures."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from duban.audit.models import AuditEvent
from duban.core import workcalendar
from duban.core.actors import WORKER, SystemActor
from duban.ledger.services import problem_create
from duban.orgs.models import Role
from duban.orgs.services import membership_set
from duban.plan import services as plan
from duban.projects import services as projects
from duban.projects.models import Stage
from duban.rounds import queries, services
from duban.rounds.models import (
    Chase,
    ChaseLevel,
    LineKind,
    Punctuality,
    Round,
    RoundStatus,
    Rule,
    Scope,
    Submission,
    SubmissionStatus,
)

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")


@pytest.fixture(autouse=True)
def _calendar():
    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")


@pytest.fixture
def world(tree, users, campaign):
    """平安镇 leads a task (洮河镇 co-responsible) and owns a problem; 区财政局 is the
    department of a project of 洮河镇; 一村 owns an overdue problem."""
    aspect = plan.item_create(actor=TESTER, skip_checks=True, campaign=campaign, new=plan.NewItem(title="优化营商环境", lead_unit=tree["root"]))
    task = plan.item_create(actor=TESTER, skip_checks=True, campaign=campaign,
                            new=plan.NewItem(title="压缩审批时限", lead_unit=tree["town_a"], co_units=[tree["town_b"]], parent=aspect,
                                             deadline=dt.date(2030, 6, 30)))
    problem = problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description="集贸市场占道经营", unit=tree["town_a"],
                             deadline=dt.date(2030, 1, 1))
    overdue = problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description="村道破损未修", unit=tree["village_a1"],
                             deadline=dt.date(2024, 1, 1))
    project = projects.project_create(actor=TESTER, skip_checks=True, campaign=campaign, new=projects.NewProject(
        name="农产品冷链物流园", unit=tree["town_b"], department=tree["dept"], stage=Stage.STARTED, started_on=dt.date(2026, 3, 1),
        total_wan="20000", annual_plan_wan="5000", planned_finish=dt.date(2027, 12, 31)))
    from django.contrib.auth import get_user_model

    dept = get_user_model().objects.create_user(username="dept", password="pw-dept")
    membership_set(actor=TESTER, user=dept, unit=tree["dept"], role=Role.LIAISON)
    return {"task": task, "problem": problem, "overdue": overdue, "project": project, "dept": dept}


def _due(hours: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def _open(campaign, **kw):
    kw.setdefault("due_at", _due(72))
    return services.round_open(actor=TESTER, skip_checks=True, campaign=campaign, name="第50周工作进展", **kw)


def test_a_round_asks_every_responsible_unit_about_its_own_items(tree, users, campaign, world):
    rnd = _open(campaign)
    asked = set(Submission.objects.filter(round=rnd).values_list("unit__name", flat=True))
    assert asked == {"平安镇", "洮河镇", "区财政局", "一村"} and rnd.expected == 4
    sub_a = Submission.objects.get(round=rnd, unit=tree["town_a"])
    kinds = [(f.item.kind, f.item.lead) for f in queries.form(sub_a)]
    assert kinds == [(LineKind.TASK, True), (LineKind.PROBLEM, True)]
    sub_b = Submission.objects.get(round=rnd, unit=tree["town_b"])
    assert [(f.item.kind, f.item.lead) for f in queries.form(sub_b)] == [(LineKind.TASK, False), (LineKind.PROJECT, True)]
    # Difficult problems only: the village's overdue one.
    hard = _open(campaign, scope=Scope.DIFFICULT)
    assert list(Submission.objects.filter(round=hard).values_list("unit__name", flat=True)) == ["一村"]
    # Only the office opens rounds; chosen units must lie in the campaign.
    with pytest.raises(PermissionDenied):
        services.round_open(actor=users["liaison_a"], campaign=campaign, name="x", due_at=_due(5))
    with pytest.raises(ValidationError):
        _open(campaign, scope=Scope.UNITS, units=[])
    with pytest.raises(ValidationError):
        _open(campaign, due_at=_due(-1))
    # A unit sees its own submission, not another's.
    assert list(queries.visible_submissions(users["liaison_b"], rnd)) == [sub_b]
    assert queries.visible_rounds(users["liaison_b"], campaign).count() == 2 - 1  # not asked in the difficult round
    assert queries.visible_rounds(users["office"], campaign).count() == 2


def test_one_form_updates_every_item_through_its_service(tree, users, campaign, world):
    rnd = _open(campaign)
    sub = Submission.objects.get(round=rnd, unit=tree["town_b"])
    task, project = world["task"], world["project"]
    lines = [services.LineInput(LineKind.TASK, task.pk, done="洮河镇窗口已改造"),
             services.LineInput(LineKind.PROJECT, project.pk, progress=35, done="冷库主体完工", invested_wan="800.5", problems="电力增容慢",
                                next_steps="设备安装")]
    # Another unit's liaison may not fill it; incomplete lines are a draft, not a submission.
    with pytest.raises(PermissionDenied):
        services.submission_save(actor=users["liaison_a"], submission=sub, lines=lines)
    with pytest.raises(ValidationError):
        services.submission_save(actor=users["liaison_b"], submission=sub, lines=lines[:1], submit=True)
    sub = services.submission_save(actor=users["liaison_b"], submission=sub, lines=lines[:1])
    assert sub.status == SubmissionStatus.DRAFT
    with pytest.raises(ValidationError):  # money on a task line
        services.submission_save(actor=users["liaison_b"], submission=sub, lines=[services.LineInput(LineKind.TASK, task.pk, done="x", invested_wan="5")])
    with pytest.raises(ValidationError):  # an item that is not this unit's
        services.submission_save(actor=users["liaison_b"], submission=sub, lines=[services.LineInput(LineKind.PROBLEM, world["problem"].pk, done="x")])
    sub = services.submission_save(actor=users["liaison_b"], submission=sub, lines=lines, summary="本周推进顺利", submit=True)
    assert (sub.status, sub.punctuality) == (SubmissionStatus.SUBMITTED, Punctuality.ON_TIME)
    task.refresh_from_db()
    project.refresh_from_db()
    # The co unit's note went to the task's timeline (its % is the lead's to set); the project got a dispatch record.
    assert task.events.filter(kind="report", unit=tree["town_b"]).get().note.startswith("【第50周工作进展】洮河镇窗口已改造")
    assert (project.progress, project.done_total_wan) == (35, Decimal("800.50"))
    assert project.records.get().problems == "电力增容慢"
    assert AuditEvent.objects.filter(verb="round.submit").count() == 1
    # Submitted: changes go through the office's return.
    with pytest.raises(ValidationError):
        services.submission_save(actor=users["liaison_b"], submission=sub, lines=lines, submit=True)
    with pytest.raises(PermissionDenied):
        services.submission_return(actor=users["liaison_a"], submission=sub, reason="x")
    services.submission_return(actor=users["office"], submission=sub, reason="投资数据需核实")
    first = Submission.objects.get(pk=sub.pk).submitted_at
    Round.objects.filter(pk=rnd.pk).update(due_at=first + dt.timedelta(microseconds=1))  # the resubmission comes after the due time
    sub = services.submission_save(actor=users["liaison_b"], submission=Submission.objects.get(pk=sub.pk),
                                   lines=[lines[0], services.LineInput(LineKind.PROJECT, project.pk, progress=35, done="冷库主体完工（核实）",
                                                                       invested_wan="600")], submit=True)
    assert (sub.submitted_at, sub.punctuality) == (first, Punctuality.ON_TIME)  # the first time counts
    project.refresh_from_db()
    assert project.done_total_wan == Decimal("600.00")  # the same week's record corrected, not added


def test_late_answers_until_the_lock_then_missing(tree, users, campaign, world):
    rnd = _open(campaign)
    Round.objects.filter(pk=rnd.pk).update(due_at=timezone.now() - dt.timedelta(hours=2), lock_at=timezone.now() + dt.timedelta(hours=1))
    sub = Submission.objects.get(round=rnd, unit=tree["village_a1"])
    sub = services.submission_save(actor=users["liaison_a"], submission=sub, submit=True,  # the town's liaison answers for its village
                                   lines=[services.LineInput(LineKind.PROBLEM, world["overdue"].pk, done="已硬化200米")])
    assert sub.punctuality == Punctuality.LATE
    world["overdue"].refresh_from_db()
    assert world["overdue"].progress.endswith("已硬化200米")
    Round.objects.filter(pk=rnd.pk).update(lock_at=timezone.now() - dt.timedelta(minutes=1))
    assert services.rounds_lock_due() == 1
    with pytest.raises(ValidationError):
        services.submission_save(actor=users["liaison_b"], submission=Submission.objects.get(round=rnd, unit=tree["town_b"]),
                                 lines=[], submit=True)
    status = queries.round_status(Round.objects.get(pk=rnd.pk))
    assert {k: status[k] for k in ("expected", "submitted", "on_time", "late")} == {"expected": 4, "submitted": 1, "on_time": 0, "late": 1}
    assert set(status["missing"]) == {"平安镇", "洮河镇", "区财政局"}
    ranking = queries.punctuality_by_unit(campaign)
    assert ranking[0]["unit"] == "一村" and ranking[0]["late"] == 1 and ranking[0]["rate"] == 0.0
    assert Round.objects.get(pk=rnd.pk).status == RoundStatus.LOCKED


def test_chasing_reaches_only_non_submitters_then_escalates(tree, users, campaign, world, robots):
    from django.contrib.auth import get_user_model

    from duban.notify.models import Channel, InboxItem
    from duban.notify.services import outbox_deliver_due, unit_channel_set

    # The towns share one DingTalk group; 区财政局 has its own.
    robots.dingtalk["towns"] = "SECtowns0123456789"
    robots.dingtalk["dept"] = "SECdept0123456789"
    for unit, token in ((tree["town_a"], "towns"), (tree["town_b"], "towns"), (tree["dept"], "dept")):
        unit_channel_set(actor=TESTER, unit=unit, channel=Channel.DINGTALK, target=robots.dingtalk_url(token), secret=f"SEC{token}0123456789")
    head_b = get_user_model().objects.create_user(username="head_b", password="pw", first_name="洮河镇长")
    membership_set(actor=TESTER, user=head_b, unit=tree["town_b"], role=Role.LEADER)
    now = timezone.now()
    rnd = _open(campaign, due_at=now + dt.timedelta(days=4))
    sub_a = Submission.objects.get(round=rnd, unit=tree["town_a"])
    services.submission_save(actor=users["liaison_a"], submission=sub_a, submit=True, lines=[
        services.LineInput(LineKind.TASK, world["task"].pk, progress=40, done="窗口改造"), services.LineInput(LineKind.PROBLEM, world["problem"].pk, unchanged=True)])
    chases = services.round_chase(rnd=rnd, now=now, skip_checks=True)
    assert [(c.point, c.level, c.units) for c in chases] == [("opening", ChaseLevel.LIAISON, 3)]
    assert services.round_chase(rnd=rnd, now=now, skip_checks=True) == []  # each point once
    outbox_deliver_due()
    tokens = sorted(p["token"] for p in robots.posts)
    assert tokens == ["dept", "towns"]  # one digest per robot group, though two towns share one
    text = json.dumps(robots.posts, ensure_ascii=False)
    assert "洮河镇" in text and "平安镇" not in text  # 平安镇 has submitted
    # After the due time: the unit's head; a working day later, the 分管领导 (the leaders above).
    rnd.refresh_from_db()
    after_due = rnd.due_at + dt.timedelta(minutes=5)
    chases = services.round_chase(rnd=rnd, now=after_due, skip_checks=True)
    assert chases[-1].level == ChaseLevel.HEAD and chases[-1].point == "overdue"
    assert InboxItem.objects.filter(user=head_b, message=chases[-1].message).exists()
    assert not InboxItem.objects.filter(user=users["liaison_b"], message=chases[-1].message).exists()
    later = timezone.make_aware(dt.datetime.combine(workcalendar.add_workdays(timezone.localtime(rnd.due_at).date(), 1), dt.time(10, 5)))
    chases = services.round_chase(rnd=rnd, now=later, skip_checks=True)
    assert chases[-1].level == ChaseLevel.LEADER
    assert InboxItem.objects.filter(user=users["leader"], message=chases[-1].message).exists()  # the district's leader
    assert Submission.objects.get(round=rnd, unit=tree["town_b"]).chase_level == ChaseLevel.LEADER
    assert Chase.objects.filter(round=rnd).count() >= 4


def test_cadence_opens_its_rounds_on_time_once(tree, users, campaign, world):
    c = services.cadence_save(actor=users["office"], campaign=campaign, name="每周例行调度", kind="routine", rule=Rule.WEEKLY, weekday=4,
                              due_time=dt.time(17, 0), open_workdays=4)
    due = timezone.localtime(c.next_due_at)
    assert due.weekday() == 4 and (due.hour, due.minute) == (17, 0)
    with pytest.raises(PermissionDenied):
        services.cadence_save(actor=users["liaison_a"], campaign=campaign, name="x", kind="routine", rule=Rule.WEEKLY, due_time=dt.time(17, 0))
    with pytest.raises(ValidationError):
        services.cadence_save(actor=users["office"], campaign=campaign, name="x", kind="routine", rule=Rule.WEEKLY, weekday=9, due_time=dt.time(17, 0))
    opens_day = workcalendar.add_workdays(due.date(), -4)
    before = timezone.make_aware(dt.datetime.combine(opens_day, dt.time(8, 0)))
    assert services.cadences_open_due(now=before) == []
    at = timezone.make_aware(dt.datetime.combine(opens_day, dt.time(9, 1)))
    if at >= c.next_due_at:  # (a due day closer than four working days from now)
        at = c.next_due_at - dt.timedelta(minutes=1)
    opened = services.cadences_open_due(now=max(at, timezone.now()))
    assert len(opened) == 1 and opened[0].due_at == c.next_due_at and opened[0].expected == 4
    assert services.cadences_open_due(now=max(at, timezone.now())) == []
    c.refresh_from_db()
    assert timezone.localtime(c.next_due_at).date() == due.date() + dt.timedelta(days=7)


def test_cli_and_figures(tree, users, campaign, world, client_for):
    out = io.StringIO()
    due = timezone.localtime(_due(30))
    call_command("rounds", "open", "第50周", "--cadence", "key", "--due", f"{due:%Y-%m-%d %H:%M}", "--campaign", str(campaign.pk), stdout=out)
    pk = int(out.getvalue().strip().splitlines()[-1])
    out = io.StringIO()
    call_command("rounds", "status", str(pk), "--json", stdout=out)
    status = json.loads(out.getvalue())
    assert status["expected"] == 4 and status["submitted"] == 0 and len(status["missing"]) == 4
    out = io.StringIO()
    call_command("rounds", "remind", str(pk), stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "4"
    out = io.StringIO()
    call_command("rounds", "open", "指定", "--due", f"{due:%Y-%m-%d %H:%M}", "--units", "平安镇、区财政局", "--campaign", str(campaign.pk), stdout=out)
    assert Round.objects.get(pk=int(out.getvalue().strip().splitlines()[-1])).expected == 2
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rounds", "open", "x", "--due", "明天下午", stdout=io.StringIO())
    Round.objects.filter(pk=pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    rounds = client_for(users["office"]).get("/api/stats").json()["rounds"]
    assert (rounds["total"], rounds["expected"], rounds["submitted"], rounds["on_time_rate"]) == (2, 4, 0, 0.0)
    assert client_for(users["liaison_a"]).get("/api/stats").json()["rounds"]["expected"] == 2  # 平安镇 and its 一村
    call_command("rounds", "status", str(pk), stdout=io.StringIO())
    assert WORKER.name


def test_the_figures_are_kept_until_a_write_or_a_round_falls_due(tree, users, campaign):
    """The `rounds` section is cached (a province's submissions counted live took 0.2 s a
    read) and stays exact: a submission, a lock and a round falling due all show at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tester = TESTER
    plan.item_create(actor=tester, skip_checks=True, campaign=campaign, new=plan.NewItem(
        title="压缩审批时限", lead_unit=tree["town_a"], deadline=dt.date(2030, 6, 30)))
    rnd = services.round_open(actor=tester, skip_checks=True, campaign=campaign, name="第1周", due_at=timezone.now() + dt.timedelta(days=3))
    first = queries.figures(campaign=campaign)
    assert first["total"] == 1 and first["expected"] == 0 and first["open"] == 1
    with CaptureQueriesContext(connection) as q:
        assert queries.figures(campaign=campaign) == first
    assert not any("rounds_submission" in x["sql"] for x in q.captured_queries)  # from the cache
    # the round falls due (time passes, no write): expected counts it
    Round.objects.filter(pk=rnd.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    assert queries.figures(campaign=campaign)["expected"] == Submission.objects.filter(round=rnd).count() > 0
    # a submission (audited) shows at once
    sub = Submission.objects.get(round=rnd, unit=tree["town_a"])
    services.submission_save(actor=users["liaison_a"], submission=sub, lines=[
        services.LineInput("task", sub.round.campaign.plan_items.get(title="压缩审批时限").pk, done="窗口改造")], submit=True)
    assert queries.figures(campaign=campaign)["submitted"] == 1
    # the lock (unaudited) too
    Round.objects.filter(pk=rnd.pk).update(lock_at=timezone.now() - dt.timedelta(seconds=1))
    services.rounds_lock_due()
    assert queries.figures(campaign=campaign)["open"] == 0


def test_the_punctuality_ranking_is_kept_and_follows_each_submission(tree, users, campaign):
    """The ranking and the trend are cached like the figures (a city's year of rounds is
    570,000 submissions) and stay exact: a late submission moves the unit at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan.item_create(actor=TESTER, skip_checks=True, campaign=campaign, new=plan.NewItem(
        title="压缩审批时限", lead_unit=tree["town_a"], deadline=dt.date(2030, 6, 30)))
    rnd = services.round_open(actor=TESTER, skip_checks=True, campaign=campaign, name="第1周", due_at=timezone.now() + dt.timedelta(days=3))
    Round.objects.filter(pk=rnd.pk).update(due_at=timezone.now() - dt.timedelta(hours=1), lock_at=timezone.now() + dt.timedelta(days=1))
    before = {r["unit"]: (r["missing"], r["late"]) for r in queries.punctuality_by_unit(campaign)}
    assert before["平安镇"] == (1, 0)
    queries.punctuality_trend(campaign)
    with CaptureQueriesContext(connection) as q:
        queries.punctuality_by_unit(campaign)
        queries.punctuality_trend(campaign)
    assert not any("rounds_submission" in x["sql"] for x in q.captured_queries)  # both from the cache
    sub = Submission.objects.get(round=rnd, unit=tree["town_a"])
    task = campaign.plan_items.get(title="压缩审批时限")
    services.submission_save(actor=users["liaison_a"], submission=sub, lines=[services.LineInput("task", task.pk, done="窗口改造")], submit=True)
    after = {r["unit"]: (r["missing"], r["late"]) for r in queries.punctuality_by_unit(campaign)}
    assert after["平安镇"] == (0, 1)
    assert queries.punctuality_trend(campaign)[-1]["submitted"] == 1


def test_the_summary_movement_is_kept_and_follows_each_submission(tree, users, campaign):
    """The summary's lines and moves are cached (a city's round is ~20,000 lines) and exact
    after every submission."""
    task = plan.item_create(actor=TESTER, skip_checks=True, campaign=campaign, new=plan.NewItem(
        title="压缩审批时限", lead_unit=tree["town_a"], deadline=dt.date(2030, 6, 30)))
    first = services.round_open(actor=TESTER, skip_checks=True, campaign=campaign, name="第1周", due_at=timezone.now() + dt.timedelta(hours=1))
    sub = Submission.objects.get(round=first, unit=tree["town_a"])
    services.submission_save(actor=users["liaison_a"], submission=sub, lines=[services.LineInput("task", task.pk, progress=20, done="起步")], submit=True)
    Round.objects.filter(pk=first.pk).update(due_at=timezone.now() - dt.timedelta(days=7))
    second = services.round_open(actor=TESTER, skip_checks=True, campaign=campaign, name="第2周", due_at=timezone.now() + dt.timedelta(days=2))
    assert queries.summary(second)["lines"] == 0
    sub2 = Submission.objects.get(round=second, unit=tree["town_a"])
    services.submission_save(actor=users["liaison_a"], submission=sub2, lines=[services.LineInput("task", task.pk, progress=45, done="过半")], submit=True)
    s = queries.summary(second)
    assert s["lines"] == 1 and s["moved_count"] == 1 and (s["moved"][0]["from"], s["moved"][0]["to"]) == (20, 45)
    assert s["moved"][0]["unit"] == "平安镇" and s["previous"] == first
