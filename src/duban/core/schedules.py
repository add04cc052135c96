"""Schedules: background work that starts at set times without a request.

A schedule names a django-tasks ``Task`` by dotted path and a rule — every day / every
working day (the calendar in core/workcalendar.py) / every week on a weekday at HH:MM
Asia/Shanghai, or every N minutes. ``duban worker`` calls :func:`schedules_tick` between
tasks: each due schedule is enqueued once per due time, guarded twice — the schedule row is
locked (``select_for_update``; SQLite serialises writers anyway) and ``ScheduleRun`` is unique
on (schedule, due time), so a second worker that races in finds the run taken. After
downtime the missed due times collapse into one run; the next due time is then computed
from *now*, not from the missed one.

Apps declare their schedules on their AppConfig (``schedules = [ScheduleSpec(...)]``) or call
:func:`schedule_register`; the worker syncs declared ones at start. The office may change the
time or switch a schedule off; registering again never overwrites those choices.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from duban.core import workcalendar
from duban.core.models import Schedule, ScheduleRun

logger = logging.getLogger("duban.schedules")
TZ = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


@dataclass(frozen=True)
class ScheduleSpec:
    """What an app declares: ``ScheduleSpec("notify-deliver", "duban.notify.tasks.deliver", "interval", every_minutes=1)``."""

    key: str
    task_path: str
    rule: str
    at: dt.time | None = None
    weekday: int | None = None
    every_minutes: int | None = None
    name: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)


def resolve_task(path: str) -> Task:
    """The Task behind a dotted path; a typo fails here, loudly, not at 10:00 on Friday."""
    obj = import_string(path)
    if not isinstance(obj, Task):
        raise TypeError(f"{path} is not a django-tasks Task (decorate it with @task, or schedule "
                        f"duban.core.tasks.call with kwargs={{'path': '{path}'}})")
    return obj


def _check_target(task_path: str, kwargs: dict[str, Any]) -> None:
    resolve_task(task_path)
    if task_path == "duban.core.tasks.call":
        from duban.core.tasks import resolve_callable

        resolve_callable(kwargs.get("path", ""))


def validate_rule(*, rule: str, at: dt.time | None, weekday: int | None, every_minutes: int | None) -> None:
    if rule not in Schedule.Rule.values:
        raise ValueError(f"unknown rule {rule!r}")
    if rule == Schedule.Rule.INTERVAL:
        if not every_minutes or every_minutes < 1:
            raise ValueError("an interval schedule needs every_minutes ≥ 1")
        return
    if at is None:
        raise ValueError(f"a {rule} schedule needs a time of day")
    if rule == Schedule.Rule.WEEKLY and (weekday is None or not 0 <= weekday <= 6):
        raise ValueError("a weekly schedule needs a weekday 0 (Monday) … 6 (Sunday)")


def next_due(schedule: Schedule, after: dt.datetime, cal: workcalendar.WorkCalendar | None = None) -> dt.datetime:
    """The first due time of ``schedule`` strictly after ``after`` (aware, returned in Asia/Shanghai)."""
    cal = cal or workcalendar.calendar()
    after = after.astimezone(TZ)
    if schedule.rule == Schedule.Rule.INTERVAL:
        return after + dt.timedelta(minutes=schedule.every_minutes or 1)
    day = after.date()
    for _ in range(400):  # a year of holidays cannot hide every working day
        when = dt.datetime.combine(day, schedule.at, tzinfo=TZ)
        if when > after and _matches(schedule, day, cal):
            return when
        day += dt.timedelta(days=1)
    raise ValueError(f"schedule {schedule.key} never comes due")


def _matches(schedule: Schedule, day: dt.date, cal: workcalendar.WorkCalendar) -> bool:
    if schedule.rule == Schedule.Rule.WEEKLY:
        return day.weekday() == schedule.weekday
    if schedule.rule == Schedule.Rule.WORKDAYS:
        return cal.is_workday(day)
    return True


def describe(schedule: Schedule) -> str:
    """The rule as the office reads it: 每周五 17:00, 每个工作日 10:00, 每 5 分钟."""
    from django.utils.translation import gettext as _

    if schedule.rule == Schedule.Rule.INTERVAL:
        return _("每 %(n)s 分钟") % {"n": schedule.every_minutes}
    at = schedule.at.strftime("%H:%M") if schedule.at else ""
    if schedule.rule == Schedule.Rule.WEEKLY:
        return _("每%(day)s %(at)s") % {"day": _(WEEKDAYS[schedule.weekday or 0]), "at": at}
    if schedule.rule == Schedule.Rule.WORKDAYS:
        return _("每个工作日 %(at)s") % {"at": at}
    return _("每天 %(at)s") % {"at": at}


def schedule_register(
    *,
    key: str,
    task_path: str,
    rule: str,
    at: dt.time | None = None,
    weekday: int | None = None,
    every_minutes: int | None = None,
    name: str = "",
    kwargs: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Schedule:
    """Create a schedule if ``key`` is new; for an existing one only the task and name follow the
    code (the office's time, rule and on/off stay as the office set them).

    ``task_path`` names a ``@task``; a plain service function is scheduled through
    ``duban.core.tasks.call`` with ``kwargs={"path": "duban.app.services.function"}``."""
    _check_target(task_path, kwargs or {})
    validate_rule(rule=rule, at=at, weekday=weekday, every_minutes=every_minutes)
    existing = Schedule.objects.filter(key=key).first()
    if existing is not None:
        new = {"task_path": task_path, "name": name or existing.name, "kwargs": kwargs if kwargs is not None else existing.kwargs}
        changed = [f for f, v in new.items() if getattr(existing, f) != v]
        if changed:
            for f in changed:
                setattr(existing, f, new[f])
            existing.save(update_fields=changed)
        return existing
    s = Schedule(key=key, task_path=task_path, rule=rule, at=at, weekday=weekday, every_minutes=every_minutes,
                 name=name or key, kwargs=kwargs or {})
    s.next_run_at = next_due(s, now or timezone.now())
    s.save()
    return s


def schedule_update(
    *, schedule: Schedule, rule: str, at: dt.time | None, weekday: int | None, every_minutes: int | None,
    enabled: bool, by: str = "", now: dt.datetime | None = None,
) -> Schedule:
    """The office changes when a schedule runs (or switches it off); the next due time follows."""
    validate_rule(rule=rule, at=at, weekday=weekday, every_minutes=every_minutes)
    schedule.rule, schedule.at, schedule.weekday, schedule.every_minutes = rule, at, weekday, every_minutes
    schedule.enabled, schedule.updated_by = enabled, by[:150]
    schedule.next_run_at = next_due(schedule, now or timezone.now())
    schedule.save()
    return schedule


def declared_specs() -> list[ScheduleSpec]:
    specs: list[ScheduleSpec] = []
    for config in apps.get_app_configs():
        specs.extend(getattr(config, "schedules", ()) or ())
    return specs


def schedules_sync(now: dt.datetime | None = None) -> int:
    """Register every schedule the apps declare (the worker does this at start)."""
    for spec in declared_specs():
        schedule_register(key=spec.key, task_path=spec.task_path, rule=spec.rule, at=spec.at, weekday=spec.weekday,
                          every_minutes=spec.every_minutes, name=spec.name, kwargs=spec.kwargs, now=now)
    return len(declared_specs())


def schedules_tick(*, now: dt.datetime | None = None, worker: str = "") -> list[ScheduleRun]:
    """Enqueue every schedule due at ``now`` (once per due time, whatever other workers do)."""
    now = now or timezone.now()
    started: list[ScheduleRun] = []
    due_ids = list(Schedule.objects.filter(enabled=True, next_run_at__lte=now).values_list("pk", flat=True))
    for pk in due_ids:
        run = _start(pk, now=now, worker=worker)
        if run is not None:
            started.append(run)
    return started


def _start(pk: int, *, now: dt.datetime, worker: str) -> ScheduleRun | None:
    try:
        with transaction.atomic():
            s = Schedule.objects.select_for_update().filter(pk=pk, enabled=True, next_run_at__lte=now).first()
            if s is None:  # another worker got here first and moved next_run_at on
                return None
            due = s.next_run_at
            # Due times missed while no worker ran are merged into this one run.
            skipped = 0
            probe = next_due(s, due)
            while probe <= now and skipped < 10_000:
                skipped += 1
                probe = next_due(s, probe)
            run = ScheduleRun.objects.create(schedule=s, due_at=due, started_at=now, worker=worker[:64], skipped=skipped)
            # Enqueued in the same transaction: with the database backend the task row and the
            # run row commit together or not at all.
            result = resolve_task(s.task_path).enqueue(**(s.kwargs or {}))
            run.task_result_id = str(result.id)[:64]
            run.save(update_fields=["task_result_id"])
            s.last_run_at, s.next_run_at, s.last_error = due, probe, ""
            s.save(update_fields=["last_run_at", "next_run_at", "last_error"])
            return run
    except IntegrityError:
        # The unique (schedule, due time) caught a race the row lock did not (another database).
        logger.info("schedule %s already started for this due time", pk)
        return None
    except OperationalError:
        # Another worker holds the database (SQLite: "database is locked"). Not the schedule's
        # fault: leave next_run_at alone so the next tick, seconds later, starts it.
        logger.warning("schedule %s: database busy, retried at the next tick", pk)
        return None
    except Exception:
        # A broken schedule (task renamed…) must not stop the others; the page shows it.
        logger.exception("schedule %s could not start", pk)
        _record_failure(pk, now=now)
        return None


def _record_failure(pk: int, *, now: dt.datetime) -> None:
    """Keep the reason for the office's page and try again at the next due time, not every second."""
    import traceback

    s = Schedule.objects.filter(pk=pk).first()
    if s is None:
        return
    s.last_error = traceback.format_exc(limit=3)[-2000:]
    s.next_run_at = next_due(s, now)
    s.save(update_fields=["last_error", "next_run_at"])
