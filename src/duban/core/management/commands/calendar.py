"""`duban calendar list|set|import`: the working-day calendar from the command line."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from duban.core import workcalendar
from duban.core.actors import CLI
from duban.core.models import CalendarDay

KINDS = {"holiday": "放假", "workday": "调休上班", "normal": "按周一至周五"}


class Command(BaseCommand):
    help = "工作日历：列出某年的放假与调休、修改某一天、从文件导入（国务院每年 11 月前后公布次年安排）"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="列出某年的放假与调休上班日期")
        ls.add_argument("year", type=int, nargs="?", default=None)
        st = sub.add_parser("set", help="把某一天设为放假、调休上班或恢复按周一至周五")
        st.add_argument("date", help="YYYY-MM-DD")
        st.add_argument("kind", choices=sorted(KINDS))
        st.add_argument("--name", default="", help="如 春节、国庆节调休")
        im = sub.add_parser("import", help="从 JSON 文件导入整年（默认：随软件附带的文件）")
        im.add_argument("file", nargs="?", default=str(workcalendar.DATA_FILE))
        im.add_argument("--year", type=int, action="append", help="只导入这一年（可重复）")
        ok = sub.add_parser("official", help="标记某年已（或未）按国务院通知录入")
        ok.add_argument("year", type=int)
        ok.add_argument("--source", default="")
        ok.add_argument("--no", action="store_true", help="标记为未录入（按周一至周五计算并提醒）")

    def handle(self, *args, action: str, **opts) -> None:
        getattr(self, f"_{action}")(**opts)

    def _list(self, year: int | None, **_) -> None:
        year = year or dt.date.today().year
        cal = workcalendar.calendar()
        meta = cal.year(year)
        if meta.official:
            self.stdout.write(f"{year} 年：{meta.source or '已录入'}")
        else:
            self.stdout.write(f"{year} 年没有官方放假安排：按周一至周五计算工作日，请录入国务院通知后标记为已录入")
        for day in CalendarDay.objects.filter(date__year=year).order_by("date"):
            weekday = "一二三四五六日"[day.date.weekday()]
            self.stdout.write(f"{day.date}  周{weekday}  {day.get_kind_display():<6}  {day.name}")

    def _set(self, date: str, kind: str, name: str, **_) -> None:
        try:
            d = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise CommandError(f"日期应写作 YYYY-MM-DD：{date}") from exc
        old = workcalendar.calendar_day_set(date=d, kind=kind, name=name, by=CLI.name)
        self.stdout.write(f"{d}：{KINDS[old]} → {KINDS[kind]}；现在{'是' if workcalendar.is_workday(d) else '不是'}工作日")

    def _import(self, file: str, year: list[int] | None, **_) -> None:
        try:
            years = workcalendar.parse_file(file)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"读不了 {file}：{exc}") from exc
        if year:
            years = {y: v for y, v in years.items() if y in year}
        counts = workcalendar.calendar_import(years=years, by=CLI.name)
        for y, n in counts.items():
            self.stdout.write(f"{y} 年：导入 {n} 个日期")

    def _official(self, year: int, source: str, no: bool, **_) -> None:
        workcalendar.calendar_year_set(year=year, official=not no, source=source, by=CLI.name)
        self.stdout.write(f"{year} 年：{'未录入官方安排' if no else '已按官方安排录入'}")
