"""`duban campaign create NAME --unit UNIT [--start D] [--end D] [--areas A、B、C]` and
`duban campaign list` (DESIGN §5): a fresh install gets its campaign without the web UI."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from duban.audit.services import user_action
from duban.campaigns.models import LINFEN_FOCUS_AREAS, Campaign
from duban.campaigns.services import campaign_create
from duban.core.actors import CLI
from duban.core.cli_args import date_arg, split_list
from duban.core.dates import today
from duban.orgs.cli import unit_arg

CLI_ACTOR = CLI


class Command(BaseCommand):
    help = "活动：create 建立（最后一行打印活动编号），list 列出"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="create|list")
        create = sub.add_parser("create", help="建立活动")
        create.add_argument("name", help="活动名称")
        create.add_argument("--unit", required=True, help="牵头单位：名称、“上级单位/单位名称”或编号")
        create.add_argument("--start", help="开始日期（默认今天）")
        create.add_argument("--end", help="结束日期")
        create.add_argument("--areas", help=f"聚焦领域，用顿号分隔（默认：{'、'.join(LINFEN_FOCUS_AREAS)}）")
        create.add_argument("--description", default="")
        sub.add_parser("list", help="列出活动")

    def handle(self, *args, **opts):
        if opts["action"] == "list":
            return self._list()
        areas = split_list(opts["areas"]) if opts["areas"] else list(LINFEN_FOCUS_AREAS)
        if len(set(areas)) != len(areas):
            raise CommandError("聚焦领域有重复")
        try:
            with user_action():
                campaign = campaign_create(
                    actor=CLI_ACTOR, name=opts["name"], unit=unit_arg(opts["unit"]),
                    start_date=date_arg(opts["start"], "开始日期") or today(), end_date=date_arg(opts["end"], "结束日期"),
                    description=opts["description"], focus_areas=areas,
                )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(f"已建立活动“{campaign.name}”（牵头单位 {campaign.unit.name}，聚焦领域 {len(areas)} 个）")
        self.stdout.write(str(campaign.pk))

    def _list(self) -> None:
        rows = Campaign.objects.select_related("unit").order_by("-start_date", "-id")
        if not rows:
            self.stdout.write("还没有活动。用 duban campaign create 名称 --unit 单位 建立一个。")
            return
        self.stdout.write(f"{'编号':<6}{'状态':<6}{'开始':<12}{'结束':<12}{'牵头单位':<12}名称")
        for c in rows:
            state = "进行中" if c.is_active else "已结束"
            end = c.end_date.isoformat() if c.end_date else "—"
            self.stdout.write(f"{c.pk:<8}{state:<5}{c.start_date.isoformat():<14}{end:<14}{c.unit.name:<10}{c.name}")
