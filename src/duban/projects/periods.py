"""Dispatch periods: the day, week (Monday–Sunday), 旬 (1–10, 11–20, 21–end) or month a
record covers, by the project's cadence. One rule for the form, the import, the "due this
period" list and the reminders."""

from __future__ import annotations

import calendar
import datetime as dt

from duban.projects.models import Cadence


def period_of(day: dt.date, cadence: str) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the period of `cadence` holding `day`."""
    if cadence == Cadence.DAILY:
        return day, day
    if cadence == Cadence.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    last = calendar.monthrange(day.year, day.month)[1]
    if cadence == Cadence.XUN:
        if day.day <= 10:
            return day.replace(day=1), day.replace(day=10)
        if day.day <= 20:
            return day.replace(day=11), day.replace(day=20)
        return day.replace(day=21), day.replace(day=last)
    if cadence == Cadence.MONTHLY:
        return day.replace(day=1), day.replace(day=last)
    raise ValueError(f"unknown cadence {cadence!r}")


def previous_period(day: dt.date, cadence: str) -> tuple[dt.date, dt.date]:
    start, _end = period_of(day, cadence)
    return period_of(start - dt.timedelta(days=1), cadence)


_XUN = {1: "上旬", 11: "中旬", 21: "下旬"}


def period_label(start: dt.date, cadence: str) -> str:
    """How an office names the period: 2026年12月7日, 2026年第50周, 2026年12月上旬, 2026年12月."""
    if cadence == Cadence.DAILY:
        return f"{start.year}年{start.month}月{start.day}日"
    if cadence == Cadence.WEEKLY:
        year, week, _ = start.isocalendar()
        return f"{year}年第{week}周"
    if cadence == Cadence.XUN:
        return f"{start.year}年{start.month}月{_XUN.get(start.day, '')}"
    return f"{start.year}年{start.month}月"
