"""The demo campaign and the demo accounts of DESIGN §5."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from duban.campaigns.models import LINFEN_FOCUS_AREAS
from duban.campaigns.services import campaign_create
from duban.demo.context import CAMPAIGN_END, CAMPAIGN_START, DemoContext
from duban.demo.people import DEMO_PASSWORD
from duban.orgs.models import Role
from duban.orgs.services import membership_set


def build(ctx: DemoContext) -> None:
    root = ctx.root
    name = "“解放思想推动高质量发展”大讨论活动" if ctx.scale.name == "district" else "“解放思想再深入、全面振兴新突破”教育实践活动"
    ctx.campaign = campaign_create(
        actor=ctx.actor,
        name=f"{root.name}{name}",
        unit=root,
        start_date=CAMPAIGN_START,
        end_date=CAMPAIGN_END,
        description="以解放思想为先导，查摆问题、整改落实、项目攻坚，推动高质量发展。",
        focus_areas=LINFEN_FOCUS_AREAS,
    )
    ctx.focus_areas = list(ctx.campaign.focus_areas.order_by("position"))
    ctx.notes.append(f"活动：{ctx.campaign.name}（{len(ctx.focus_areas)} 个聚焦领域）")


def build_accounts(ctx: DemoContext) -> None:
    """admin (campaign office), leader (read-all), unit1/unit2 (liaisons of two towns)."""
    User = get_user_model()
    towns = ctx.towns[:2]
    level = "区" if ctx.scale.name == "district" else "市"
    # (username, name, title, unit, role, superuser): people with names, titles that fit the unit.
    specs = [
        ("admin", "张晓燕", f"{level}委推进办副主任", ctx.root, Role.OFFICE, True),
        ("leader", "李建国", f"{level}委书记", ctx.root, Role.LEADER, False),
        ("unit1", "刘红", "党政综合办联络员", towns[0], Role.LIAISON, False),
        ("unit2", "陈明", "党政综合办联络员", towns[1], Role.LIAISON, False),
    ]
    for username, full_name, title, unit, role, superuser in specs:
        user, _ = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        user.first_name = full_name
        user.is_staff = user.is_superuser = superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        membership_set(actor=ctx.actor, user=user, unit=unit, role=role, title=title)
        ctx.users[username] = user
