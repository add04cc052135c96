"""The working-day calendar (工作日历): Chinese public holidays and 调休 make-up working days.

Every deadline counted in working days asks this module. The rule: a date is a working day
when the calendar marks it 调休上班, is not one when it marks it 放假, and otherwise when it
falls Monday–Friday. The official dates come from the State Council's notice each November;
they ship in ``data/holidays_cn.json``, are loaded into the ``CalendarDay`` /
``CalendarYear`` tables by migration (or ``duban calendar import``) and the office corrects
them there. A year not marked official falls back to Monday–Friday and is reported by
:func:`missing_years` so the office sees a warning.

Lookups hit the database once per year per process and then a set; writes through this
module clear the cache, and other processes re-read within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA_FILE = Path(__file__).resolve().parent / "data" / "holidays_cn.json"
CACHE_SECONDS = 60.0
HOLIDAY = "holiday"
WORKDAY = "workday"


@dataclass(frozen=True)
class YearDays:
    """One year's exceptions to the Monday–Friday rule."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    official: bool = False
    source: str = ""
    names: dict[dt.date, str] = field(default_factory=dict, compare=False, hash=False)


class WorkCalendar:
    """Working-day arithmetic over years supplied by ``load_year`` (cached per year)."""

    def __init__(self, load_year, *, ttl: float | None = None) -> None:
        self._load_year = load_year
        self._ttl = ttl
        self._years: dict[int, tuple[float, YearDays]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._years.clear()

    def year(self, year: int) -> YearDays:
        now = time.monotonic()
        hit = self._years.get(year)
        if hit is not None and (self._ttl is None or now - hit[0] < self._ttl):
            return hit[1]
        days = self._load_year(year)
        with self._lock:
            self._years[year] = (now, days)
        return days

    def is_workday(self, d: dt.date) -> bool:
        y = self.year(d.year)
        if d in y.workdays:
            return True
        if d in y.holidays:
            return False
        return d.weekday() < 5

    def day_name(self, d: dt.date) -> str:
        return self.year(d.year).names.get(d, "")

    def add_workdays(self, d: dt.date, n: int) -> dt.date:
        """The date ``n`` working days after ``d`` (``d`` itself not counted); n < 0 goes back.

        ``n == 0`` gives ``d`` itself, working day or not."""
        step = 1 if n >= 0 else -1
        left = abs(n)
        while left:
            d += dt.timedelta(days=step)
            if self.is_workday(d):
                left -= 1
        return d

    def workdays_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after ``a`` up to and including ``b``; negative when ``b`` is before ``a``.

        Counts weekdays with numpy, then corrects by the (few) exception dates in between,
        so a span of years costs no more than a span of days."""
        if b == a:
            return 0
        if b < a:
            return -self.workdays_between(b, a)
        count = int(np.busday_count(a + dt.timedelta(days=1), b + dt.timedelta(days=1)))
        for year in range(a.year, b.year + 1):
            y = self.year(year)
            count -= sum(1 for h in y.holidays if a < h <= b and h.weekday() < 5 and h not in y.workdays)
            count += sum(1 for w in y.workdays if a < w <= b and w.weekday() >= 5)
        return count

    def due_in_workdays(self, start: dt.date, n: int) -> dt.date:
        """The due date of something received on ``start`` and due in ``n`` working days."""
        return self.add_workdays(start, n)

    def official(self, year: int) -> bool:
        return self.year(year).official


def parse_file(path: str | Path = DATA_FILE) -> dict[int, YearDays]:
    """Read the readable JSON layout of ``data/holidays_cn.json``: {year: {source, holidays, workdays}}."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[int, YearDays] = {}
    for key, entry in raw.items():
        if key.startswith("_"):
            continue
        year = int(key)
        holidays: set[dt.date] = set()
        workdays: set[dt.date] = set()
        names: dict[dt.date, str] = {}
        for h in entry.get("holidays", []):
            d, end = dt.date.fromisoformat(h["from"]), dt.date.fromisoformat(h.get("to") or h["from"])
            if end < d or (end - d).days > 31:
                raise ValueError(f"{year}: {h.get('name', '')} 的起止日期不对：{h['from']} 至 {h.get('to')}")
            while d <= end:
                holidays.add(d)
                names[d] = h.get("name", "")
                d += dt.timedelta(days=1)
        for w in entry.get("workdays", []):
            d = dt.date.fromisoformat(w["date"])
            workdays.add(d)
            names[d] = w.get("name", "")
        stray = [d for d in holidays | workdays if d.year != year]
        if stray:
            raise ValueError(f"{year} 年的数据里有别的年份的日期：{', '.join(map(str, sorted(stray)))}")
        clash = holidays & workdays
        if clash:
            raise ValueError(f"{year} 年既放假又上班的日期：{', '.join(map(str, sorted(clash)))}")
        out[year] = YearDays(frozenset(holidays), frozenset(workdays), bool(entry.get("official", True)),
                             entry.get("source", ""), names)
    return out


def file_calendar(path: str | Path = DATA_FILE) -> WorkCalendar:
    """A calendar straight from a JSON file, for code that runs without a database."""
    years = parse_file(path)
    return WorkCalendar(lambda y: years.get(y, YearDays()))


def _load_from_db(year: int) -> YearDays:
    from duban.core.models import CalendarDay, CalendarYear

    meta = CalendarYear.objects.filter(year=year).first()
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    names: dict[dt.date, str] = {}
    for d, kind, name in CalendarDay.objects.filter(date__year=year).values_list("date", "kind", "name"):
        (holidays if kind == HOLIDAY else workdays).add(d)
        names[d] = name
    return YearDays(frozenset(holidays), frozenset(workdays), bool(meta and meta.official),
                    meta.source if meta else "", names)


_db_calendar = WorkCalendar(_load_from_db, ttl=CACHE_SECONDS)


def calendar() -> WorkCalendar:
    """The office's calendar (database tables, cached per year)."""
    return _db_calendar


def is_workday(d: dt.date) -> bool:
    return _db_calendar.is_workday(d)


def add_workdays(d: dt.date, n: int) -> dt.date:
    return _db_calendar.add_workdays(d, n)


def workdays_between(a: dt.date, b: dt.date) -> int:
    return _db_calendar.workdays_between(a, b)


def due_in_workdays(start: dt.date, n: int) -> dt.date:
    return _db_calendar.due_in_workdays(start, n)


def missing_years(years: Iterable[int]) -> list[int]:
    """Those of ``years`` without official data (Monday–Friday only): the office's warning."""
    return [y for y in years if not _db_calendar.official(y)]


# --- writes (the office page, `duban calendar`, the admin) -------------------------------


def calendar_day_set(*, date: dt.date, kind: str, name: str = "", by: str = "") -> str:
    """Mark ``date`` as a holiday, a make-up working day, or ("normal") back to the weekday rule.

    Returns what the date was before ("holiday" / "workday" / "normal")."""
    from duban.core.models import CalendarDay

    if kind not in (HOLIDAY, WORKDAY, "normal"):
        raise ValueError(f"unknown kind {kind!r}")
    old = CalendarDay.objects.filter(date=date).values_list("kind", flat=True).first() or "normal"
    if kind == "normal":
        CalendarDay.objects.filter(date=date).delete()
    else:
        CalendarDay.objects.update_or_create(date=date, defaults={"kind": kind, "name": name[:40], "updated_by": by[:150]})
    _db_calendar.clear()
    return old


def calendar_year_set(*, year: int, official: bool, source: str = "", by: str = "") -> None:
    """Mark a year as entered from the official notice (or not: Monday–Friday warning)."""
    from duban.core.models import CalendarYear

    CalendarYear.objects.update_or_create(year=year, defaults={"official": official, "source": source[:200], "updated_by": by[:150]})
    _db_calendar.clear()


def calendar_import(*, years: dict[int, YearDays], by: str = "", replace: bool = True) -> dict[int, int]:
    """Load whole years (as :func:`parse_file` reads them) into the tables.

    ``replace`` drops the year's existing exceptions first, so a corrected file wins.
    Returns {year: number of dates}."""
    from django.db import transaction

    from duban.core.models import CalendarDay, CalendarYear

    counts: dict[int, int] = {}
    with transaction.atomic():
        for year, days in sorted(years.items()):
            if replace:
                CalendarDay.objects.filter(date__year=year).delete()
            rows = [CalendarDay(date=d, kind=HOLIDAY, name=days.names.get(d, ""), updated_by=by) for d in sorted(days.holidays)]
            rows += [CalendarDay(date=d, kind=WORKDAY, name=days.names.get(d, ""), updated_by=by) for d in sorted(days.workdays)]
            CalendarDay.objects.bulk_create(rows, update_conflicts=True, unique_fields=["date"], update_fields=["kind", "name", "updated_by"])
            CalendarYear.objects.update_or_create(year=year, defaults={"official": days.official, "source": days.source, "updated_by": by})
            counts[year] = len(rows)
    _db_calendar.clear()
    return counts
