from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "duban.intake"
    label = "intake"
    verbose_name = "意见建议"
    default_auto_field = "django.db.models.BigAutoField"
    audit_verbs = {
        "suggestion.submit": _("收到意见建议"), "suggestion.bulk_create": _("导入意见建议"), "suggestion.route": _("分拣交办"),
        "suggestion.to_problem": _("转为整改问题"), "suggestion.join_problem": _("并入整改问题"), "suggestion.reply": _("答复"),
        "suggestion.rate": _("评价"), "suggestion.close": _("办结"), "suggestion.callback": _("电话回访"),
        "suggestion.verify": _("开始核查"), "suggestion.conclude": _("查结"), "suggestion.transfer": _("转办"),
    }

    def nav(self) -> list:
        from duban.core.nav import NavItem

        return [NavItem("intake:inbox", _("意见建议"), 20, active_for=("intake:",))]

    def todo(self, user) -> list:
        """我的待办 (duban.core.todo): what the suggestion workflow's "waiting for me" query
        finds for this person — to answer or verify as the handling unit, to sort as the office."""
        from duban.core.todo import waiting_section
        from duban.intake import workflow
        from duban.intake.queries import todo_rows

        sections = [
            waiting_section(_("待答复的意见建议和待核查的线索"), "intake/_todo.html", table=workflow.TABLE, user=user,
                            queryset=todo_rows(user, by_due=True), sides=[workflow.HANDLER], order=20),
            waiting_section(_("待分拣的意见建议"), "intake/_todo.html", table=workflow.TABLE, user=user,
                            queryset=todo_rows(user, by_due=False), sides=[workflow.OFFICE], order=21),
        ]
        return [s for s in sections if s is not None]
