"""`duban stats [--json]`: the headline figures (DESIGN §5)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from duban.core.numbers import cn_count, cn_money_wan, cn_percent
from duban.stats import headline


class Command(BaseCommand):
    help = "Print the headline figures; --json for machines."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--campaign", type=int, default=None, help="campaign id (default: all)")

    def handle(self, *args, **opts):
        campaign = None
        if opts["campaign"]:
            from duban.campaigns.models import Campaign

            campaign = Campaign.objects.get(pk=opts["campaign"])
        figures = headline(user=None, campaign=campaign)
        if opts["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
            return
        p, s, t, pr = figures["problems"], figures["suggestions"], figures["tasks"], figures["projects"]
        self.stdout.write(f"查摆问题 {cn_count(p['total'], '条')}，已销号 {cn_count(p['rectified'], '条')}，整改率{cn_percent(p['rate'])}，逾期 {cn_count(p['overdue'], '条')}")
        self.stdout.write(f"意见建议 {cn_count(s['total'], '条')}")
        c = s.get("clues") or {}
        if c.get("received"):
            self.stdout.write(f"受理线索 {cn_count(c['received'], '条')}，查结 {cn_count(c['closed'], '条')}，正在核查 {cn_count(c['verifying'], '条')}，"
                              f"非管转办 {cn_count(c['transferred'], '条')}，查结率{cn_percent(c['closed_rate'])}")
        self.stdout.write(f"任务 {cn_count(t['total'], '项')}，完成 {cn_count(t['done'], '项')}，逾期 {cn_count(t['overdue'], '项')}")
        self.stdout.write(f"重点项目 {cn_count(pr['total'], '个')}，开工 {cn_count(pr['started'], '个')}，总投资 {cn_money_wan(pr['investment_total_wan'])}")
