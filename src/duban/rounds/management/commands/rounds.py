"""`duban rounds open NAME --cadence routine|key|adhoc --due "YYYY-MM-DD HH:MM" [--units U1、U2]`,
`duban rounds status ID [--json]`, `duban rounds remind ID`, `duban rounds list` (DESIGN §5)."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from duban.audit.services import user_action
from duban.campaigns.models import Campaign
from duban.core.actors import CLI
from duban.core.cli_args import split_list
from duban.orgs.cli import unit_arg
from duban.rounds import queries, services
from duban.rounds.models import Kind, Round, Scope


def _due(text: str) -> dt.datetime:
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M"):
        try:
            return timezone.make_aware(dt.datetime.strptime(text.strip(), fmt))
        except ValueError:
            continue
    raise CommandError(f"截止时间“{text}”应写成 YYYY-MM-DD HH:MM（北京时间），如 2026-12-11 17:00")


def _campaign(pk: int | None) -> Campaign:
    qs = Campaign.objects.filter(is_active=True).order_by("-start_date", "-id")
    campaign = Campaign.objects.filter(pk=pk).first() if pk else qs.first()
    if campaign is None:
        raise CommandError("找不到活动：用 duban campaign list 查看，或 --campaign 指定编号")
    return campaign


def _round(pk: int) -> Round:
    rnd = Round.objects.select_related("campaign").filter(pk=pk).first()
    if rnd is None:
        raise CommandError(f"找不到调度轮次 {pk}：用 duban rounds list 查看")
    return rnd


class Command(BaseCommand):
    help = "调度报送：open 发起（最后一行打印编号），status 报送情况，remind 催报，list 列出"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="open|status|remind|list")
        o = sub.add_parser("open", help="发起一轮调度")
        o.add_argument("name", help="名称，如“第50周工作进展”")
        o.add_argument("--cadence", choices=Kind.values, default=Kind.ROUTINE, help="routine 常规、key 重点、adhoc 随时")
        o.add_argument("--due", required=True, help="截止时间 YYYY-MM-DD HH:MM（北京时间）")
        o.add_argument("--lock", help="补报截止（默认截止后48小时）")
        o.add_argument("--units", help="指定单位，用顿号分隔（默认：所有有在办事项、问题或项目的责任单位）")
        o.add_argument("--difficult", action="store_true", help="只问疑难问题（逾期或被退回的问题）的责任单位")
        o.add_argument("--campaign", type=int, help="活动编号（默认最新的进行中活动）")
        o.add_argument("--instructions", default="", help="报送要求")
        st = sub.add_parser("status", help="报送情况")
        st.add_argument("id", type=int)
        st.add_argument("--json", action="store_true")
        r = sub.add_parser("remind", help="向尚未报送的单位催报")
        r.add_argument("id", type=int)
        sub.add_parser("list", help="列出调度轮次")

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "list":
            return self._list()
        if action == "status":
            status = queries.round_status(_round(opts["id"]))
            if opts["json"]:
                self.stdout.write(json.dumps(status, ensure_ascii=False))
            else:
                self.stdout.write(f"应报 {status['expected']}，已报 {status['submitted']}（按时 {status['on_time']}，迟报 {status['late']}），"
                                  f"未报 {len(status['missing'])}：{'、'.join(status['missing'][:50])}")
            return
        if action == "remind":
            rnd = _round(opts["id"])
            with user_action():
                chases = services.round_chase(rnd=rnd, actor=CLI, force=True, skip_checks=True)
            n = chases[-1].units if chases else 0
            self.stdout.write(f"已向{n}个尚未报送的单位催报" if n else "没有需要催报的单位")
            self.stdout.write(str(n))
            return
        campaign = _campaign(opts["campaign"])
        units = [unit_arg(name) for name in split_list(opts["units"])] if opts["units"] else []
        scope = Scope.UNITS if units else (Scope.DIFFICULT if opts["difficult"] else Scope.RESPONSIBLE)
        try:
            with user_action():
                rnd = services.round_open(actor=CLI, campaign=campaign, name=opts["name"], due_at=_due(opts["due"]), kind=opts["cadence"],
                                          scope=scope, units=units, lock_at=_due(opts["lock"]) if opts["lock"] else None,
                                          instructions=opts["instructions"], skip_checks=True)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(f"已发起“{rnd.name}”：应报单位{rnd.expected}个，截止{timezone.localtime(rnd.due_at):%Y-%m-%d %H:%M}")
        self.stdout.write(str(rnd.pk))

    def _list(self) -> None:
        rows = Round.objects.order_by("-due_at")[:100]
        if not rows:
            self.stdout.write("还没有调度轮次。用 duban rounds open 名称 --due \"YYYY-MM-DD HH:MM\" 发起一轮。")
            return
        for r in rows:
            s = queries.round_status(r)
            self.stdout.write(f"{r.pk:<6}{timezone.localtime(r.due_at):%Y-%m-%d %H:%M}  {r.get_status_display():<4} "
                              f"应报{s['expected']} 已报{s['submitted']}  {r.name}")
