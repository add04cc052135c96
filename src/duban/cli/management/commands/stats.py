"""`duban stats [--json] [--date D]`: the headline figures (DESIGN §5), now or as recorded
on a past day; `duban stats snapshot`: record today's for every campaign and region."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from duban.core.actors import CLI
from duban.core.cli_args import date_arg
from duban.core.dates import today
from duban.core.numbers import cn_count, cn_money_wan, cn_percent
from duban.stats import headline, recorded, snapshot_missing, take_snapshot


class Command(BaseCommand):
    help = "Print the headline figures; --json for machines; --date for a recorded day; snapshot records today's."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["snapshot"],
                            help="snapshot：记录今天各活动、各县区（乡镇）一级的统计快照（当天再记录一次则替换）")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--campaign", type=int, default=None, help="campaign id (default: all)")
        parser.add_argument("--date", default=None, help="某一天记录的快照（YYYY-MM-DD），不填为当前数据")

    def handle(self, *args, **opts):
        on = date_arg(opts["date"], "--date")
        if opts["action"] == "snapshot":
            if on is not None and on != today():
                # The ledger keeps no history to recount a past day from: a snapshot filed
                # under another day would be today's figures wearing that day's date.
                raise CommandError(f"只能记录今天（{today():%Y-%m-%d}）的快照：过去某天的数字无法从现在的数据还原")
            self.stdout.write(str(take_snapshot(actor=CLI)))
            return
        campaign = None
        if opts["campaign"]:
            from duban.campaigns.models import Campaign

            campaign = Campaign.objects.filter(pk=opts["campaign"]).first()
            if campaign is None:
                raise CommandError(f"没有编号为 {opts['campaign']} 的活动（duban campaign list 列出全部活动）")
        if on is not None:
            figures = recorded(on, campaign_id=campaign.pk if campaign else None)
            if figures is None:
                raise CommandError(snapshot_missing(on))
        else:
            figures = headline(user=None, campaign=campaign)
        if opts["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
            return
        p, s, t, pr = figures["problems"], figures["suggestions"], figures["tasks"], figures["projects"]
        if on is not None:
            self.stdout.write(f"{on:%Y-%m-%d} 记录的数据：")
        self.stdout.write(f"查摆问题 {cn_count(p['total'], '条')}，已销号 {cn_count(p['rectified'], '条')}，整改率{cn_percent(p['rate'])}，逾期 {cn_count(p['overdue'], '条')}")
        self.stdout.write(f"意见建议 {cn_count(s['total'], '条')}")
        c = s.get("clues") or {}
        if c.get("received"):
            self.stdout.write(f"受理线索 {cn_count(c['received'], '条')}，查结 {cn_count(c['closed'], '条')}，正在核查 {cn_count(c['verifying'], '条')}，"
                              f"非管转办 {cn_count(c['transferred'], '条')}，查结率{cn_percent(c['closed_rate'])}")
        self.stdout.write(f"任务 {cn_count(t['total'], '项')}，完成 {cn_count(t['done'], '项')}，逾期 {cn_count(t['overdue'], '项')}")
        line = f"重点项目 {cn_count(pr['total'], '个')}，开工 {cn_count(pr['started'], '个')}，总投资 {cn_money_wan(pr['investment_total_wan'])}"
        if pr.get("annual_plan_wan"):
            line += f"，年度计划投资 {cn_money_wan(pr['annual_plan_wan'])}，完成{cn_percent(pr['annual_rate'])}"
        self.stdout.write(line)
        r = figures.get("rounds") or {}
        if r.get("total"):
            self.stdout.write(f"调度报送 {cn_count(r['total'], '轮')}，应报 {cn_count(r['expected'], '份')}，已报 {cn_count(r['submitted'], '份')}，"
                              f"按时报送率{cn_percent(r['on_time_rate'])}")
