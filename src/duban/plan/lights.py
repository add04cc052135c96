"""红黄绿灯: the light of one plan item from its dates, progress and the office's thresholds.

* done (已办结) — no light, counted apart;
* no deadline — none (无时限);
* red — past its deadline, or behind 序时进度 (expected-to-date progress) by more than
  `behind_red` points;
* yellow — due within `due_soon_days` working days, or behind by `behind_yellow` points or more;
* green — otherwise.

序时进度 counts working days (core.workcalendar, with 调休): an item due in 20 working days
that started 10 working days ago is expected at 50%.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from duban.core.workcalendar import WorkCalendar
from duban.plan.models import Light, Status


@dataclass(frozen=True)
class Thresholds:
    due_soon_days: int = 5
    behind_yellow: int = 10
    behind_red: int = 30


DEFAULT = Thresholds()


def expected_progress(start: dt.date | None, deadline: dt.date | None, today: dt.date, cal: WorkCalendar) -> int | None:
    """序时进度 in % (working days elapsed over working days planned); None without both dates."""
    if start is None or deadline is None:
        return None
    if today <= start:
        return 0
    if today >= deadline:
        return 100
    total = cal.workdays_between(start, deadline)
    if total <= 0:
        return 100
    return min(100, round(100 * cal.workdays_between(start, today) / total))


@dataclass(frozen=True)
class Reading:
    light: str
    behind: int  # points behind 序时进度 (0 when on or ahead)
    expected: int | None
    days_left: int | None  # working days to the deadline (negative: overdue)


def light_of(
    *, status: str, deadline: dt.date | None, start: dt.date | None, progress: int, today: dt.date,
    rule: Thresholds, cal: WorkCalendar,
) -> Reading:
    if status == Status.DONE:
        return Reading(Light.DONE, 0, None, None)
    if deadline is None:
        return Reading(Light.NONE, 0, None, None)
    expected = expected_progress(start, deadline, today, cal)
    behind = max(0, expected - progress) if expected is not None else 0
    days_left = cal.workdays_between(today, deadline)
    if today > deadline or behind > rule.behind_red:
        return Reading(Light.RED, behind, expected, days_left)
    if days_left <= rule.due_soon_days or behind >= rule.behind_yellow:
        return Reading(Light.YELLOW, behind, expected, days_left)
    return Reading(Light.GREEN, behind, expected, days_left)


def reading(item, *, campaign_start: dt.date | None, today: dt.date, rule: Thresholds, cal: WorkCalendar) -> Reading:
    """The light of a plan item (a model or a plain record): 序时进度 runs from its planned
    start, else its latest start, else the campaign's start. One rule for the stored light
    and for the words the item page gives for it."""
    return light_of(status=item.status, deadline=item.deadline, start=item.start_date or item.latest_start or campaign_start,
                    progress=item.progress, today=today, rule=rule, cal=cal)
