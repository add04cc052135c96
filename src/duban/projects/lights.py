"""A project's light (红黄绿灯) by the office's rules — 银川's as defaults:

* not started: red once `start_red_months` whole months have passed since the planned start
  month; yellow from the planned start month on (`start_yellow_months` = 0: in that month);
* started: expected-to-date progress is the share of the time from start to planned finish
  that has passed; behind by `behind_yellow`…`behind_red` points → yellow, more → red;
* started `statistics_months` months ago and not in the statistics database (入统) → yellow;
* a blocker (要素保障) past its time limit → yellow, `blocker_red_days` working days past → red;
* 竣工投产: done.

The worst reason wins; the reason is stored with the light so lists say why.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from duban.projects.models import Light, Stage

ORDER = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


@dataclass(frozen=True)
class Rule:
    start_yellow_months: int = 0
    start_red_months: int = 3
    behind_yellow: int = 10
    behind_red: int = 30
    statistics_months: int = 1
    blocker_red_days: int = 10

    @classmethod
    def of(cls, row) -> Rule:
        if row is None:
            return cls()
        return cls(row.start_yellow_months, row.start_red_months, row.behind_yellow, row.behind_red, row.statistics_months,
                   row.blocker_red_days)


@dataclass(frozen=True)
class Facts:
    """What the light reads of one project (plain values: the refresh reads rows, not models)."""

    stage: str
    planned_start: dt.date | None
    planned_finish: dt.date | None
    started_on: dt.date | None
    in_statistics_on: dt.date | None
    progress: int
    # The oldest open blocker's time limit, and how many working days it is past (0: not past).
    blocker_overdue_days: int = 0


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole calendar months from a's month to b's month (March → June = 3)."""
    return (b.year - a.year) * 12 + (b.month - a.month)


def add_months(d: dt.date, months: int) -> dt.date:
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


def expected_progress(start: dt.date | None, finish: dt.date | None, today: dt.date) -> int | None:
    """序时进度: the share of the time from start to planned finish passed by today, in points."""
    if start is None or finish is None or finish <= start:
        return None
    if today <= start:
        return 0
    if today >= finish:
        return 100
    return round(100 * (today - start).days / (finish - start).days)


def light_of(f: Facts, rule: Rule, today: dt.date) -> tuple[str, str]:
    """(light, reason) — the reason in Chinese, empty for green."""
    if f.stage == Stage.COMPLETED:
        return Light.DONE, ""
    found: list[tuple[str, str]] = []
    started = f.stage == Stage.STARTED
    if not started and f.planned_start is not None:
        months = months_between(f.planned_start, today)
        if months >= rule.start_red_months:
            found.append((Light.RED, f"计划{f.planned_start.year}年{f.planned_start.month}月开工，超过{months}个月未开工"))
        elif months >= rule.start_yellow_months and today >= f.planned_start.replace(day=1):
            found.append((Light.YELLOW, f"计划{f.planned_start.year}年{f.planned_start.month}月开工，尚未开工"))
    if started:
        start = f.started_on or f.planned_start
        expected = expected_progress(start, f.planned_finish, today)
        if expected is not None:
            behind = expected - f.progress
            if behind > rule.behind_red:
                found.append((Light.RED, f"落后序时进度{behind}个百分点"))
            elif behind >= rule.behind_yellow:
                found.append((Light.YELLOW, f"落后序时进度{behind}个百分点"))
        if f.started_on is not None and f.in_statistics_on is None and today >= add_months(f.started_on, rule.statistics_months):
            found.append((Light.YELLOW, f"开工满{rule.statistics_months}个月未入统"))
    if f.blocker_overdue_days > 0:
        if f.blocker_overdue_days >= rule.blocker_red_days:
            found.append((Light.RED, f"要素保障问题逾期{f.blocker_overdue_days}个工作日未解决"))
        else:
            found.append((Light.YELLOW, "要素保障问题逾期未解决"))
    if not found:
        return Light.GREEN, ""
    worst = max(ORDER[light] for light, _ in found)
    reasons = [reason for light, reason in found if ORDER[light] == worst]
    return (Light.RED if worst == 2 else Light.YELLOW), "；".join(reasons)[:200]
