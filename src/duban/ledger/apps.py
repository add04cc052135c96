from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import (
    ApiRouter,
    DemoBuilder,
    HomePanel,
    LedgerIO,
    RegionalModel,
    RegionListener,
    StatsSection,
)


class Config(AppConfig):
    name = "duban.ledger"
    label = "ledger"
    verbose_name = "整改台账"
    default_auto_field = "django.db.models.BigAutoField"
    stats_sections = [StatsSection("problems", figures="duban.ledger.figures.figures")]
    api_routers = [ApiRouter("/problems", "duban.ledger.api.router")]
    ledgers = [LedgerIO("problems", "问题整改台账", importer="duban.ledger.io.problems_import_cli",
                        exporter="duban.ledger.io.problems_export_cli")]
    demo_builders = [DemoBuilder("ledger", "duban.ledger.demo.build", after=("accounts",))]
    home_panels = [
        HomePanel("problems", "ledger/_home_figures.html", order=10, slot="figures"),
        HomePanel("problems_by_area", "ledger/_home_areas.html", order=10, context="duban.ledger.figures.home_areas"),
    ]
    regional_models = [RegionalModel("ledger.Problem")]
    # The per-region tallies are keyed by region: a move re-counts the units it touched.
    region_listeners = [RegionListener("duban.ledger.tally.on_units_moved")]

    def audit_verbs(self) -> dict:
        """Verbs of the trail (duban.audit.labels); the workflow's steps by their own labels."""
        from duban.ledger.workflow import TRANSITIONS

        verbs = {
            "problem.create": _("登记问题"), "problem.update": _("修改问题"), "problem.bulk_create": _("导入问题"),
            "problem.import_update": _("导入更新问题"), "problem.import_override": _("导入改状态（推进办特批）"), "problem.assign": _("交办"), "problem.extend": _("批量延期"),
            "problem.note": _("填写进展"), "problem.evidence_add": _("上传佐证材料"),
        }
        verbs.update({f"problem.{t.name}": t.label for t in TRANSITIONS.values()})
        return verbs

    @property
    def reminders(self) -> list:
        """Every working day at 10:00: each responsible unit's overdue and nearly due problems."""
        from duban.core.reminders import Reminder

        return [Reminder("ledger-due", "整改到期提醒", "%(unit)s：整改问题到期提醒（%(date)s）")]

    @property
    def reminder_parts(self) -> list:
        from duban.core.reminders import ReminderSource
        from duban.ledger.queries import due_reminder_parts, review_reminder_parts

        return [ReminderSource("ledger-due", due_reminder_parts), ReminderSource("office-waiting", review_reminder_parts, order=10)]

    def nav(self) -> list:
        from duban.core.nav import NavItem
        from duban.orgs.scoping import grants

        def has_units(user, campaign) -> bool:
            return bool(grants(user)) or user.is_superuser

        return [NavItem("ledger:my_items", _("我的待办"), 5, has_units),
                NavItem("ledger:problem_list", _("整改台账"), 10, active_for=("ledger:",))]
