from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import ApiRouter, DemoBuilder, HomePanel, LedgerIO, StatsSection


class Config(AppConfig):
    name = "duban.projects"
    label = "projects"
    verbose_name = "项目调度"
    default_auto_field = "django.db.models.BigAutoField"
    stats_sections = [StatsSection("projects", figures="duban.projects.queries.figures")]
    # After the plan: the ethanol project's nodes link the plan's 23 tasks; after the ledger:
    # the blockers are ledger problems numbered after the demo's own.
    demo_builders = [DemoBuilder("projects", "duban.projects.demo.build", after=("accounts", "plan", "ledger"))]
    ledgers = [LedgerIO("projects", "项目库", importer="duban.projects.io.projects_import_cli", exporter="duban.projects.io.projects_export_cli")]
    api_routers = [ApiRouter("/projects", "duban.projects.api.router")]
    home_panels = [HomePanel("projects", "projects/_home_card.html", order=6, context="duban.projects.queries.home_card")]

    @property
    def reminders(self) -> list:
        """Every working day at 10:00: each owning unit's red and yellow projects (with why),
        and each 项目秘书's unit the projects whose record of this period is missing."""
        from duban.core.reminders import Reminder

        return [Reminder("project-lights", "重点项目亮灯提醒", "%(unit)s：重点项目亮灯提醒（%(date)s）"),
                Reminder("project-records", "项目调度填报提醒", "%(unit)s：项目调度填报提醒（%(date)s）")]

    @property
    def reminder_parts(self) -> list:
        from duban.core.reminders import ReminderSource
        from duban.projects.queries import light_reminder_parts, record_due_parts

        return [ReminderSource("project-lights", light_reminder_parts), ReminderSource("project-records", record_due_parts)]

    @property
    def schedules(self) -> list:
        """Early each morning the lights are re-derived by the office's rules."""
        import datetime as dt

        from duban.core.schedules import ScheduleSpec

        return [ScheduleSpec("projects-refresh", "duban.projects.tasks.refresh_projects", "daily", at=dt.time(5, 40), name="刷新重点项目灯色")]

    def nav(self) -> list:
        """重点项目 for everyone who sees projects; 我的项目 for people with projects of their own
        (as 包保领导 or 项目秘书, or their unit's as 所属单位 or 责任部门)."""
        from duban.core.nav import NavItem

        def sees_projects(user, campaign) -> bool:  # like the plan's: anyone with a unit (no query per page)
            from duban.orgs.scoping import grants

            return bool(grants(user)) or user.is_superuser

        def has_own(user, campaign) -> bool:
            """A liaison or office answers for its units' projects (no query); anyone else — a
            包保领导 — when they lead or are secretary of one (one EXISTS)."""
            from django.db.models import Q

            from duban.projects.models import Project
            from duban.projects.queries import own_unit_ids

            if own_unit_ids(user):
                return True
            return Project.objects.filter(Q(leader_id=user.pk) | Q(secretary_id=user.pk)).exists()

        return [NavItem("projects:mine", _("我的项目"), 7, has_own),
                NavItem("projects:list", _("重点项目"), 9, sees_projects, active_for=("projects:",))]

    def todo(self, user) -> list:
        """我的待办 (duban.core.todo): a 项目秘书's projects whose record of this period is missing."""
        from duban.core.todo import TodoSection
        from duban.projects.queries import due_this_period, visible

        if not getattr(user, "is_authenticated", False):
            return []
        rows = due_this_period(visible(user).filter(secretary_id=user.pk)).select_related("unit").order_by("id")
        if not rows.exists():
            return []
        return [TodoSection(_("本期待填报的项目调度"), "projects/_todo.html", rows, order=16, key="projects")]

    def audit_verbs(self) -> dict:
        from duban.projects.workflow import TRANSITIONS

        verbs = {
            "project.create": _("登记项目"), "project.bulk_create": _("批量登记项目"), "project.update": _("修改项目"),
            "project.delete": _("删除项目"), "project.nodes": _("设置项目节点"), "project.node_done": _("项目节点完成"),
            "project.record": _("填报调度记录"), "project.record_update": _("更正调度记录"), "project.blocker": _("提出要素保障问题"),
            "project.file": _("上传项目资料"), "project.light_rule": _("设置项目亮灯规则"), "project.pools": _("设置项目库"),
            "project.import": _("导入项目库"), "project.bulk_record": _("批量填报调度记录"),
        }
        verbs.update({f"project.{t.name}": t.label for t in TRANSITIONS.values()})
        return verbs
