from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "duban.plan"
    label = "plan"
    verbose_name = "任务分工"
    default_auto_field = "django.db.models.BigAutoField"

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
        from duban.orgs.scoping import grants

        def has_units(user, campaign) -> bool:
            return bool(grants(user)) or user.is_superuser

        # 挂图作战: everyone who sees items sees the map of what they see; its schedule and
        # baselines pages light the same entry.
        return [NavItem("plan:map", _("挂图作战"), 14, has_units, active_for=("plan:map", "plan:schedule", "plan:baselines"))]
