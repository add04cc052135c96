"""The office's settings pages: the working-day calendar and the background work."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.audit.models import AuditEvent
from duban.core import schedules, workcalendar
from duban.core.models import Schedule
from duban.office import queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shipped(db):
    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")


def test_only_the_office_opens_them(users, client_for):
    for name in ("liaison_a", "leader"):
        c = client_for(users[name])
        assert c.get("/settings/calendar/").status_code == 403
        assert c.get("/settings/background/").status_code == 403
        assert c.post("/settings/calendar/", {"day-date": "2026-12-31", "day-kind": "holiday"}).status_code == 403
    assert workcalendar.is_workday(dt.date(2026, 12, 31))


def test_calendar_page_shows_and_edits(users, client_for):
    office = client_for(users["office"])
    page = office.get("/settings/calendar/?year=2026").content.decode()
    assert "2026-02-14" in page and "调休上班" in page and "国务院办公厅关于2026年部分节假日安排的通知" in page
    page = office.get("/settings/calendar/?year=2027").content.decode()
    assert "没有官方数据" in page
    r = office.post("/settings/calendar/", {"day-date": "2026-12-31", "day-kind": "holiday", "day-name": "地方假日"})
    assert r.status_code == 302
    assert not workcalendar.is_workday(dt.date(2026, 12, 31))
    assert AuditEvent.objects.filter(verb="calendar.set_day", object_id="2026-12-31").exists()
    r = office.post("/settings/calendar/", {"year-year": "2027", "year-official": "on", "year-source": "测试通知"})
    assert r.status_code == 302 and workcalendar.missing_years([2027]) == []
    assert office.post("/settings/calendar/", {"day-date": "not a date", "day-kind": "holiday"}).status_code == 400


def test_missing_year_warns_the_office(users, client_for):
    assert queries.calendar_warnings(dt.date(2026, 11, 30)) == [2027]  # November: next year's notice is due
    assert queries.calendar_warnings(dt.date(2026, 6, 1)) == []
    assert queries.calendar_warnings(dt.date(2027, 1, 5)) == [2027]


def test_background_page_lists_and_edits_schedules(users, client_for):
    s = schedules.schedule_register(key="weekly-digest", name="每周汇总", task_path="duban.core.tasks.ping", rule="weekly",
                                    weekday=4, at=dt.time(17, 0))
    office = client_for(users["office"])
    page = office.get("/settings/background/").content.decode()
    assert "每周汇总" in page and "每周五 17:00" in page
    r = office.post(f"/settings/background/{s.pk}/", {"rule": "workdays", "at": "10:00", "enabled": "on"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert (s.rule, s.at) == ("workdays", dt.time(10, 0))
    assert workcalendar.is_workday(s.next_run_at.astimezone(schedules.TZ).date())
    assert AuditEvent.objects.filter(verb="schedule.update").exists()
    assert office.post(f"/settings/background/{s.pk}/", {"rule": "weekly", "at": "10:00"}).status_code == 400
    assert Schedule.objects.get(pk=s.pk).rule == "workdays"
