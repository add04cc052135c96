"""Loads the shipped holidays (core/data/holidays_cn.json) so deadlines count working days from
the first migrate. Later corrections go through the office page or `duban calendar import`."""

from django.db import migrations


def load(apps, schema_editor):
    from duban.core.workcalendar import parse_file

    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    for year, days in parse_file().items():
        if CalendarYear.objects.filter(year=year).exists():
            continue  # the office already keeps this year
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, kind="holiday", name=days.names.get(d, ""), updated_by="安装") for d in sorted(days.holidays)]
            + [CalendarDay(date=d, kind="workday", name=days.names.get(d, ""), updated_by="安装") for d in sorted(days.workdays)]
        )
        CalendarYear.objects.create(year=year, official=days.official, source=days.source, updated_by="安装")


def unload(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.filter(updated_by="安装").delete()
    apps.get_model("core", "CalendarYear").objects.filter(updated_by="安装").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_calendar_and_schedules")]
    operations = [migrations.RunPython(load, unload)]
