"""The office's writes to the shared machinery: each through core, audited here."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from duban.audit.services import audit_record
from duban.core import schedules, workcalendar
from duban.core.models import CalendarDay, Schedule
from duban.orgs.scoping import is_office

KIND_LABELS = {"holiday": "放假", "workday": "调休上班", "normal": "按周一至周五"}


def _check(actor) -> None:
    if not is_office(actor):
        raise PermissionDenied("只有推进办可以修改系统设置")


@transaction.atomic
def calendar_day_change(*, actor, date: dt.date, kind: str, name: str = "") -> str:
    """Set one date to 放假 / 调休上班 / back to the weekday rule; returns the old kind."""
    _check(actor)
    old = workcalendar.calendar_day_set(date=date, kind=kind, name=name, by=actor.get_username())
    audit_record(actor=actor, verb="calendar.set_day", object_type=CalendarDay._meta.label_lower, object_id=date.isoformat(),
                 object_repr=f"{date:%Y-%m-%d} {name}".strip(), changes={"类型": [KIND_LABELS[old], KIND_LABELS[kind]]})
    return old


@transaction.atomic
def calendar_year_mark(*, actor, year: int, official: bool, source: str = "") -> None:
    _check(actor)
    was = workcalendar.calendar().official(year)
    workcalendar.calendar_year_set(year=year, official=official, source=source, by=actor.get_username())
    audit_record(actor=actor, verb="calendar.set_year", object_type="core.calendaryear", object_id=year, object_repr=str(year),
                 changes={"已录入官方安排": [was, official]}, note=source)


@transaction.atomic
def schedule_change(*, actor, schedule: Schedule, rule: str, at: dt.time | None, weekday: int | None,
                    every_minutes: int | None, enabled: bool) -> Schedule:
    _check(actor)
    before = schedules.describe(schedule), schedule.enabled
    schedules.schedule_update(schedule=schedule, rule=rule, at=at, weekday=weekday, every_minutes=every_minutes,
                              enabled=enabled, by=actor.get_username())
    audit_record(actor=actor, verb="schedule.update", obj=schedule,
                 changes={"频次": [before[0], schedules.describe(schedule)], "启用": [before[1], enabled]})
    return schedule
