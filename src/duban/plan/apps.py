from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import ApiRouter, DemoBuilder, HomePanel, LedgerIO, StatsSection


class Config(AppConfig):
    name = "duban.plan"
    label = "plan"
    verbose_name = "任务分工"
    default_auto_field = "django.db.models.BigAutoField"
    ledgers = [LedgerIO("tasks", "任务分工表", importer="duban.plan.io.tasks_import_cli", exporter="duban.plan.io.tasks_export_cli")]
    stats_sections = [StatsSection("tasks", figures="duban.plan.queries.figures")]
    api_routers = [ApiRouter("/tasks", "duban.plan.api.router")]
    demo_builders = [DemoBuilder("plan", "duban.plan.demo.build", after=("accounts",))]
    home_panels = [HomePanel("plan", "plan/_home_card.html", order=5, context="duban.plan.queries.home_card")]

    @property
    def reminders(self) -> list:
        """Every working day at 10:00: each owning unit's items due in 7 or 3 working days, and
        its overdue items (every day until done)."""
        from duban.core.reminders import Reminder

        return [Reminder("plan-due", "督办事项到期提醒", "%(unit)s：督办事项到期提醒（%(date)s）")]

    @property
    def reminder_parts(self) -> list:
        from duban.core.reminders import ReminderSource
        from duban.plan.queries import due_reminder_parts

        return [ReminderSource("plan-due", due_reminder_parts)]

    @property
    def schedules(self) -> list:
        """Early each morning the lights are recomputed: an item turns yellow or red as the
        calendar moves, with nobody touching it."""
        import datetime as dt

        from duban.core.schedules import ScheduleSpec  # models are not loaded when AppConfigs are

        return [ScheduleSpec("plan-refresh", "duban.plan.tasks.refresh_plans", "daily", at=dt.time(5, 30), name="刷新督办事项灯色")]

    def audit_verbs(self) -> dict:
        """Verbs of the trail (duban.audit.labels); the workflow's steps by their own labels."""
        from duban.plan.workflow import TRANSITIONS

        verbs = {
            "planitem.create": _("新增督办事项"), "planitem.bulk_create": _("批量新增督办事项"), "planitem.update": _("修改督办事项"), "planitem.delete": _("删除督办事项"),
            "planitem.report": _("填报进展"), "planitem.instruction": _("录入领导批示"), "planitem.evidence_add": _("上传佐证材料"),
            "planitem.milestones": _("设置节点"), "planitem.milestone_done": _("节点完成"),
            "planitem.dependency_add": _("设置前置事项"), "planitem.dependency_remove": _("取消前置事项"),
            "plan.light_rule": _("设置红黄灯规则"), "plan.baseline": _("冻结基线"),
            "plan.import": _("导入任务分工表"),
        }
        verbs.update({f"planitem.{t.name}": t.label for t in TRANSITIONS.values()})
        return verbs

    def nav(self) -> list:
        from duban.core.nav import NavItem
        from duban.plan.queries import own_unit_ids

        def answers_for_a_unit(user, campaign) -> bool:  # liaison or office: a leader only reads
            return bool(own_unit_ids(user))

        def has_units(user, campaign) -> bool:
            from duban.orgs.scoping import grants

            return bool(grants(user)) or user.is_superuser

        return [NavItem("plan:mine", _("我的任务"), 6, answers_for_a_unit),
                NavItem("plan:item_list", _("任务分工"), 8, active_for=("plan:",)),
                # 挂图作战: everyone who sees items sees the map of what they see; its schedule and
                # baselines pages light the same entry.
                NavItem("plan:map", _("挂图作战"), 14, has_units, active_for=("plan:map", "plan:schedule", "plan:baselines"))]

    def todo(self, user) -> list:
        """我的待办 (duban.core.todo): the plan items whose next step waits on this person —
        签收 and 申请办结 for the lead unit, 办结 and extensions for the office."""
        from duban.core.todo import waiting_section
        from duban.plan import workflow
        from duban.plan.queries import visible

        section = waiting_section(_("待办的督办事项（签收、申请办结、办结、延期）"), "plan/_todo.html", table=workflow.TABLE, user=user,
                                  queryset=visible(user).select_related("lead_unit").order_by("deadline", "id"), order=15, key="plan")
        return [section] if section is not None else []
