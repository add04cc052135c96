"""The working-day calendar on real 2026 dates (国务院办公厅 2025年11月4日 notice)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from duban.core import workcalendar
from duban.core.workcalendar import add_workdays, due_in_workdays, is_workday, missing_years, workdays_between
from duban.triage.replycheck import check_reply

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shipped_calendar():
    # What the migration loads; loaded again so a flush by a transactional test cannot hide it.
    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")


def test_shipped_2026_dates():
    assert D(2026, 2, 14).weekday() == 5 and is_workday(D(2026, 2, 14))  # Saturday 调休: working day
    assert D(2026, 9, 20).weekday() == 6 and is_workday(D(2026, 9, 20))  # Sunday 调休 before 国庆
    assert not any(is_workday(D(2026, 10, d)) for d in range(1, 8))  # the 国庆 week is off
    assert not is_workday(D(2026, 2, 23))  # a Monday inside 春节
    assert is_workday(D(2026, 3, 2)) and not is_workday(D(2026, 3, 7))  # ordinary Monday, Saturday
    assert missing_years([2026]) == []


def test_arithmetic_across_holidays():
    # Received Wednesday 30 Sep 2026: the next working day is Thursday 8 Oct.
    assert add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    # 8, 9, Sat 10 (调休), 12 Oct.
    assert workdays_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert workdays_between(D(2026, 10, 12), D(2026, 9, 30)) == -4
    assert add_workdays(D(2026, 10, 12), -4) == D(2026, 9, 30)
    # 15 working days from Thursday 12 Feb 2026 cross 春节 and both 调休 Saturdays.
    due = due_in_workdays(D(2026, 2, 12), 15)
    assert due == D(2026, 3, 11)
    assert workdays_between(D(2026, 2, 12), due) == 15
    # The same span by brute force: the fast count agrees day by day over two years.
    start = D(2025, 1, 1)
    for n in (0, 1, 37, 200, 480):
        end = add_workdays(start, n)
        assert workdays_between(start, end) == n


def test_year_without_official_data_falls_back_to_weekdays():
    assert missing_years([2026, 2027]) == [2027]
    assert is_workday(D(2027, 10, 1))  # a Friday: no notice entered, so Monday–Friday only
    assert not is_workday(D(2027, 10, 2))


def test_office_edits_take_effect_at_once():
    assert is_workday(D(2026, 12, 31))
    workcalendar.calendar_day_set(date=D(2026, 12, 31), kind="holiday", name="地方假日", by="admin")
    assert not is_workday(D(2026, 12, 31))
    workcalendar.calendar_day_set(date=D(2026, 12, 31), kind="normal", by="admin")
    assert is_workday(D(2026, 12, 31))


def test_file_is_validated(tmp_path):
    bad = tmp_path / "h.json"
    bad.write_text('{"2027": {"holidays": [{"name": "春节", "from": "2027-02-10", "to": "2027-02-01"}]}}', encoding="utf-8")
    with pytest.raises(ValueError, match="起止日期"):
        workcalendar.parse_file(bad)


def test_reply_lateness_counts_holidays():
    msg = "小区楼下烧烤店每天营业到凌晨，油烟和噪音严重扰民，请城管部门处理。"
    reply = "网友您好！您反映的小区楼下烧烤店油烟噪音扰民问题已收悉，经城管执法中队现场核查，已责令整改。感谢您的支持！"
    # Asked 24 Sep 2026, answered 19 Oct: 17 weekdays, but only 12 working days (中秋 Friday and
    # the 国庆 week off, the 调休 Saturday on): on time on the calendar, late weekdays-only.
    kw = {"asked_at": "2026/9/24 9:00:00", "replied_at": "2026/10/19 9:00:00"}
    assert "late" not in {f.code for f in check_reply(msg, reply, **kw)}
    weekdays_only = workcalendar.WorkCalendar(lambda y: workcalendar.YearDays())
    assert "late" in {f.code for f in check_reply(msg, reply, calendar=weekdays_only, **kw)}


def test_calendar_command():
    out = StringIO()
    call_command("calendar", "list", "2026", stdout=out)
    text = out.getvalue()
    assert "2026-02-14" in text and "调休上班" in text and "国庆节" in text
    call_command("calendar", "set", "2026-12-31", "holiday", "--name", "测试假日", stdout=StringIO())
    assert not is_workday(D(2026, 12, 31))
    out = StringIO()
    call_command("calendar", "list", "2027", stdout=out)
    assert "没有官方" in out.getvalue()
