from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import HomePanel


class Config(AppConfig):
    name = "duban.plan"
    label = "plan"
    verbose_name = "任务分工"
    default_auto_field = "django.db.models.BigAutoField"
    home_panels = [HomePanel("plan", "plan/_home_card.html", order=5, context="duban.plan.queries.home_card")]

    def audit_verbs(self) -> dict:
        """Verbs of the trail (duban.audit.labels); the workflow's steps by their own labels."""
        from duban.plan.workflow import TRANSITIONS

        verbs = {
            "planitem.create": _("新增督办事项"), "planitem.update": _("修改督办事项"), "planitem.delete": _("删除督办事项"),
            "planitem.report": _("填报进展"), "planitem.instruction": _("录入领导批示"), "planitem.evidence_add": _("上传佐证材料"),
            "planitem.milestones": _("设置节点"), "planitem.milestone_done": _("节点完成"),
            "planitem.dependency_add": _("设置前置事项"), "planitem.dependency_remove": _("取消前置事项"),
            "plan.light_rule": _("设置红黄灯规则"), "plan.baseline": _("冻结基线"),
        }
        verbs.update({f"planitem.{t.name}": t.label for t in TRANSITIONS.values()})
        return verbs

    def nav(self) -> list:
        from duban.core.nav import NavItem
        from duban.plan.queries import own_unit_ids

        def answers_for_a_unit(user, campaign) -> bool:  # liaison or office: a leader only reads
            return bool(own_unit_ids(user))

        return [NavItem("plan:mine", _("我的任务"), 6, answers_for_a_unit),
                NavItem("plan:item_list", _("任务分工"), 8, active_for=("plan:",))]

    def todo(self, user) -> list:
        """我的待办 (duban.core.todo): the plan items whose next step waits on this person —
        签收 and 申请办结 for the lead unit, 办结 and extensions for the office."""
        from duban.core.todo import waiting_section
        from duban.plan import workflow
        from duban.plan.queries import visible

        section = waiting_section(_("待办的督办事项（签收、申请办结、办结、延期）"), "plan/_todo.html", table=workflow.TABLE, user=user,
                                  queryset=visible(user).select_related("lead_unit").order_by("deadline", "id"), order=15)
        return [section] if section is not None else []
