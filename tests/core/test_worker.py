"""Background work: schedules fire once per due time, two workers do not double-run, a task
queued in a rolled-back transaction never runs, and a real `duban worker` process runs tasks."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import override_settings
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from duban.core import schedules, workcalendar
from duban.core.background import ScheduleWorker, enqueue_on_commit
from duban.core.models import Schedule, ScheduleRun

TZ = ZoneInfo("Asia/Shanghai")
RAN: list[str] = []


@task()
def record(note: str = "") -> str:
    RAN.append(note)
    return note


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def queued(path: str = "tests.core.test_worker.record") -> int:
    return DBTaskResult.objects.filter(task_path=path).count()


@pytest.fixture(autouse=True)
def database_backend(settings):
    # The suite runs tasks inline (DUBAN_TASKS_IMMEDIATE); the worker works on the queue.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def calendar_2026(db):
    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")
    RAN.clear()


def worker(clock, worker_id="w1") -> ScheduleWorker:
    return ScheduleWorker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                          max_tasks=None, worker_id=worker_id, excluded_queue_names=[], clock=clock, schedule_every=0)


def test_next_due_rules():
    s = Schedule(key="k", rule="weekly", weekday=4, at=dt.time(17, 0))
    assert schedules.next_due(s, at(2026, 11, 30, 9)) == at(2026, 12, 4, 17)  # Monday → Friday 17:00
    assert schedules.next_due(s, at(2026, 12, 4, 17)) == at(2026, 12, 11, 17)  # strictly after
    s = Schedule(key="k", rule="workdays", at=dt.time(10, 0))
    # Wednesday 30 Sep 2026 after 10:00: the 国庆 week is skipped, Thursday 8 Oct is next.
    assert schedules.next_due(s, at(2026, 9, 30, 11)) == at(2026, 10, 8, 10)
    # Friday 9 Oct → Saturday 10 Oct is a 调休 working day.
    assert schedules.next_due(s, at(2026, 10, 9, 11)) == at(2026, 10, 10, 10)
    assert schedules.describe(s) == "每个工作日 10:00"
    assert schedules.describe(Schedule(rule="weekly", weekday=4, at=dt.time(17, 0))) == "每周五 17:00"


def test_schedule_fires_once_at_its_time():
    s = schedules.schedule_register(key="weekly-report", task_path="tests.core.test_worker.record", rule="weekly",
                                    weekday=4, at=dt.time(17, 0), kwargs={"note": "周报"}, now=at(2026, 11, 30, 9))
    assert s.next_run_at == at(2026, 12, 4, 17)
    assert schedules.schedules_tick(now=at(2026, 12, 4, 16, 59)) == []
    runs = schedules.schedules_tick(now=at(2026, 12, 4, 17, 0, 1))
    assert len(runs) == 1 and queued() == 1
    # The same due time again, a minute later: nothing more.
    assert schedules.schedules_tick(now=at(2026, 12, 4, 17, 1)) == []
    assert queued() == 1
    s.refresh_from_db()
    assert s.next_run_at == at(2026, 12, 11, 17) and s.last_run_at == at(2026, 12, 4, 17)
    # The worker then runs the queued task.
    w = worker(lambda: at(2026, 12, 4, 17, 2))
    w.run()
    assert RAN == ["周报"]


def test_missed_runs_after_downtime_run_once():
    schedules.schedule_register(key="daily", task_path="tests.core.test_worker.record", rule="daily", at=dt.time(10, 0),
                                now=at(2026, 11, 1, 9))
    # The worker was down for nine days.
    runs = schedules.schedules_tick(now=at(2026, 11, 10, 12))
    assert len(runs) == 1 and runs[0].skipped == 9 and queued() == 1
    assert Schedule.objects.get(key="daily").next_run_at == at(2026, 11, 11, 10)
    assert schedules.schedules_tick(now=at(2026, 11, 10, 13)) == []


def test_registering_again_keeps_the_office_choice():
    s = schedules.schedule_register(key="r", task_path="tests.core.test_worker.record", rule="daily", at=dt.time(10, 0))
    schedules.schedule_update(schedule=s, rule="weekly", at=dt.time(17, 0), weekday=4, every_minutes=None, enabled=False, by="admin")
    again = schedules.schedule_register(key="r", task_path="tests.core.test_worker.record", rule="daily", at=dt.time(10, 0))
    assert (again.rule, again.enabled) == ("weekly", False)
    with pytest.raises(ImportError):
        schedules.schedule_register(key="typo", task_path="tests.core.test_worker.recrod", rule="daily", at=dt.time(10, 0))


def test_a_broken_schedule_is_reported_not_retried_every_second():
    s = schedules.schedule_register(key="b", task_path="tests.core.test_worker.record", rule="daily", at=dt.time(10, 0),
                                    now=at(2026, 11, 1, 9))
    Schedule.objects.filter(pk=s.pk).update(task_path="tests.core.test_worker.gone")
    assert schedules.schedules_tick(now=at(2026, 11, 1, 10, 1)) == []
    s.refresh_from_db()
    assert "gone" in s.last_error and s.next_run_at == at(2026, 11, 2, 10)


def test_a_busy_database_delays_a_run_by_one_tick_not_one_day(monkeypatch):
    s = schedules.schedule_register(key="busy", task_path="tests.core.test_worker.record", rule="daily",
                                    at=dt.time(10, 0), now=at(2026, 11, 1, 9))
    real = schedules.resolve_task

    def busy(path):
        raise OperationalError("database is locked")

    monkeypatch.setattr(schedules, "resolve_task", busy)
    assert schedules.schedules_tick(now=at(2026, 11, 1, 10, 0, 5)) == []
    s.refresh_from_db()
    assert (s.next_run_at, s.last_error) == (at(2026, 11, 1, 10), "")
    monkeypatch.setattr(schedules, "resolve_task", real)
    assert len(schedules.schedules_tick(now=at(2026, 11, 1, 10, 0, 10))) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_do_not_double_run():
    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")
    schedules.schedule_register(key="race", task_path="tests.core.test_worker.record", rule="daily", at=dt.time(10, 0),
                                now=at(2026, 11, 1, 9))
    now = at(2026, 11, 1, 10, 0, 5)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def tick(name):
        try:
            barrier.wait()
            schedules.schedules_tick(now=now, worker=name)
        except BaseException as e:  # collected and re-raised in the test thread
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # SQLite may refuse every concurrent writer ("database table is locked"); none may start it
    # twice, and a refusal must not push the schedule to tomorrow: the next tick starts it.
    assert ScheduleRun.objects.count() <= 1
    assert Schedule.objects.get(key="race").next_run_at <= now or ScheduleRun.objects.count() == 1
    schedules.schedules_tick(now=now + dt.timedelta(seconds=5), worker="w-next")
    assert ScheduleRun.objects.count() == 1
    assert queued() == 1
    # The unique (schedule, due time) is the second guard: a second insert is refused.
    run = ScheduleRun.objects.get()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - IntegrityError of either database
        ScheduleRun.objects.create(schedule=run.schedule, due_at=run.due_at, started_at=now)


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_in_rolled_back_transaction_never_runs():
    # Inline backend: without enqueue_on_commit the task would run inside the transaction.
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}):
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_on_commit(record, note="rolled back")
            raise RuntimeError("the request failed")
        assert RAN == []
        with transaction.atomic():
            enqueue_on_commit(record, note="committed")
            assert RAN == []  # not before the commit either
        assert RAN == ["committed"]


@pytest.mark.slow
def test_duban_worker_process_runs_a_task_and_a_schedule(tmp_path):
    """A real installation: a task queued by one process, `duban worker --batch` in another."""
    from tests.security.conftest import make_install

    inst, drop = make_install(tmp_path)
    inst.env["DUBAN_TASKS_IMMEDIATE"] = "0"
    try:
        inst.duban("migrate", "--no-input")
        queued_id = inst.python(
            "import datetime as dt\n"
            "from django.utils import timezone\n"
            "from duban.core import schedules\n"
            "from duban.core.tasks import ping\n"
            "schedules.schedule_register(key='ping-often', task_path='duban.core.tasks.ping', rule='interval', every_minutes=5,\n"
            "    kwargs={'note': 'scheduled'}, now=timezone.now() - dt.timedelta(minutes=6))\n"
            "print(ping.enqueue(note='subprocess').id)"
        ).stdout.strip().splitlines()[-1]
        r = inst.duban("worker", "--batch", timeout=120)
        assert "共运行 2 个任务" in r.stdout, r.stdout + r.stderr
        out = inst.python(
            "from django_tasks_db.models import DBTaskResult\n"
            "for row in DBTaskResult.objects.order_by('enqueued_at'): print(row.id, row.status, row.return_value)"
        ).stdout
        rows = [line.split(" ", 2) for line in out.strip().splitlines()]
        assert [(st, v.split()[1]) for _, st, v in rows] == [("SUCCESSFUL", "subprocess"), ("SUCCESSFUL", "scheduled")]
        assert rows[0][0] == queued_id
    finally:
        drop()


def test_web_started_work_goes_to_the_queue(users, campaign, client_for, django_capture_on_commit_callbacks):
    """Hot-issue runs and router training started from a page are queued, not run in the request."""
    from duban.triage.models import HotIssueRun, RouterModel

    office = client_for(users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        r = office.post("/triage/hot/run/")
        office.post("/triage/models/train/", {"target": "area"})
    assert r.status_code == 302
    assert not HotIssueRun.objects.exists() and not RouterModel.objects.exists()
    paths = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == ["duban.triage.tasks.hot_issues_run", "duban.triage.tasks.router_train"]
    worker(lambda: at(2026, 11, 30, 10)).run()
    assert HotIssueRun.objects.count() == 1
    # Too little history to train: an answer for the office, not a crash.
    assert DBTaskResult.objects.get(task_path="duban.triage.tasks.router_train").return_value["error"]


def test_a_plain_service_function_can_be_scheduled():
    """How an app schedules a plain service function (the notify app's delivery, say)."""
    s = schedules.schedule_register(key="plain", task_path="duban.core.tasks.call", rule="interval", every_minutes=1,
                                    kwargs={"path": "duban.core.workcalendar.missing_years", "years": [2026, 2027]},
                                    now=at(2026, 11, 30, 9))
    schedules.schedules_tick(now=at(2026, 11, 30, 9, 1))
    worker(lambda: at(2026, 11, 30, 9, 1)).run()
    row = DBTaskResult.objects.get(task_path="duban.core.tasks.call")
    assert row.status == "SUCCESSFUL" and row.return_value == [2027]
    assert s.kwargs["path"] == "duban.core.workcalendar.missing_years"
    with pytest.raises(ImportError):
        schedules.schedule_register(key="typo2", task_path="duban.core.tasks.call", rule="daily", at=dt.time(10, 0),
                                    kwargs={"path": "duban.core.workcalendar.mising_years"})
    with pytest.raises(ValueError):
        schedules.schedule_register(key="outside", task_path="duban.core.tasks.call", rule="daily", at=dt.time(10, 0),
                                    kwargs={"path": "os.system", "command": "true"})


def test_old_finished_results_are_pruned_waiting_ones_kept():
    from duban.core.tasks import prune_results

    for note in ("old-done", "old-failed", "new-done", "waiting"):
        record.enqueue(note)
    long_ago = dt.datetime(2020, 1, 1, tzinfo=TZ)
    rows = {r.args_kwargs["args"][0]: r for r in DBTaskResult.objects.filter(task_path="tests.core.test_worker.record")}
    DBTaskResult.objects.filter(pk=rows["old-done"].pk).update(status="SUCCESSFUL", finished_at=long_ago)
    DBTaskResult.objects.filter(pk=rows["old-failed"].pk).update(status="FAILED", finished_at=long_ago)
    DBTaskResult.objects.filter(pk=rows["new-done"].pk).update(status="SUCCESSFUL", finished_at=dt.datetime.now(TZ))
    DBTaskResult.objects.filter(pk=rows["waiting"].pk).update(enqueued_at=long_ago)  # waiting a long time: kept
    assert prune_results.call(days=30) == 2
    assert sorted(r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(task_path="tests.core.test_worker.record")) == ["new-done", "waiting"]
    with pytest.raises(ValueError):
        prune_results.call(days=0)


def test_the_prune_is_a_declared_daily_schedule():
    schedules.schedules_sync()
    s = Schedule.objects.get(key="tasks-prune")
    assert (s.rule, s.task_path, s.at) == ("daily", "duban.core.tasks.prune_results", dt.time(3, 30))


def test_api_started_work_goes_to_the_queue_too(users, campaign, client_for, django_capture_on_commit_callbacks):
    """The API's hot-issue run and training answer 202 while the worker has the job; a town's
    liaison is refused before anything is queued."""
    from duban.triage.models import HotIssueRun

    liaison = client_for(users["liaison_a"])
    with django_capture_on_commit_callbacks(execute=True):
        assert liaison.post("/api/triage/hot/run").status_code == 403
        assert liaison.post("/api/triage/models/train", {"target": "area"}, content_type="application/json").status_code == 403
    assert not DBTaskResult.objects.exists()
    office = client_for(users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        r = office.post("/api/triage/hot/run")
        t = office.post("/api/triage/models/train", {"target": "area"}, content_type="application/json")
    assert (r.status_code, r.json()["status"]) == (202, "queued") and t.status_code == 202
    assert not HotIssueRun.objects.exists()
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == ["duban.triage.tasks.hot_issues_run", "duban.triage.tasks.router_train"]
    worker(lambda: at(2026, 11, 30, 10)).run()
    assert HotIssueRun.objects.count() == 1
