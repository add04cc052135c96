from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import (
    ApiRouter,
    DemoBuilder,
    HomePanel,
    Hook,
    LedgerIO,
    RegionalModel,
    StatsSection,
)


class Config(AppConfig):
    name = "duban.intake"
    label = "intake"
    verbose_name = "意见建议"
    default_auto_field = "django.db.models.BigAutoField"
    stats_sections = [StatsSection("suggestions", figures="duban.intake.figures.figures", brief="duban.intake.figures.brief_figures")]
    api_routers = [ApiRouter("/suggestions", "duban.intake.api.router"), ApiRouter("/public", "duban.intake.api.public_router")]
    ledgers = [LedgerIO("suggestions", "意见建议", importer="duban.intake.io.suggestions_import_cli",
                        exporter="duban.intake.io.suggestions_export_cli")]
    # After the ledger: some demo suggestions are linked to its problems.
    demo_builders = [DemoBuilder("intake", "duban.intake.demo.build", after=("accounts", "ledger"))]
    home_panels = [HomePanel("suggestions", "intake/_home_figure.html", order=20, slot="figures")]
    regional_models = [RegionalModel("intake.Suggestion")]
    # What apps building on intake may add (triage does); with none, intake works alone.
    hooks = [
        Hook("intake.arrived", "(suggestions) → None: work to do as new suggestions are recorded, in their transaction"),
        Hook("intake.predictions", "(user, suggestions) → {suggestion id: {target: [candidate…]}}: routing hints a page shows"),
        Hook("intake.routed", "(actor, suggestion, unit, focus_area, label) → None: the office confirmed or corrected a routing"),
        Hook("intake.reply_flags", "(suggestion, text) → [{code, message}]: what a reviewer should look at in a reply"),
        Hook("intake.hot_issues_visible", "(user, campaign) → bool: whether the inbox offers the hot-issue page"),
    ]
    audit_verbs = {
        "suggestion.submit": _("收到意见建议"), "suggestion.bulk_create": _("导入意见建议"), "suggestion.route": _("分拣交办"),
        "suggestion.to_problem": _("转为整改问题"), "suggestion.join_problem": _("并入整改问题"), "suggestion.reply": _("答复"),
        "suggestion.rate": _("评价"), "suggestion.close": _("办结"), "suggestion.callback": _("电话回访"),
        "suggestion.verify": _("开始核查"), "suggestion.conclude": _("查结"), "suggestion.transfer": _("转办"),
    }

    @property
    def reminders(self) -> list:
        """Every working day at 10:00: each handling unit's suggestions past their reply limit."""
        from duban.core.reminders import Reminder

        return [Reminder("intake-late", "意见建议超期未答复提醒", "%(unit)s：意见建议超期未答复（%(date)s）")]

    @property
    def reminder_parts(self) -> list:
        from duban.core.reminders import ReminderSource
        from duban.intake.queries import late_reply_parts, unrouted_reminder_parts

        return [ReminderSource("intake-late", late_reply_parts), ReminderSource("office-waiting", unrouted_reminder_parts, order=20)]

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
                            queryset=todo_rows(user, by_due=True), sides=[workflow.HANDLER], order=20, key="answer"),
            waiting_section(_("待分拣的意见建议"), "intake/_todo.html", table=workflow.TABLE, user=user,
                            queryset=todo_rows(user, by_due=False), sides=[workflow.OFFICE], order=21, key="sort"),
        ]
        return [s for s in sections if s is not None]
