from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import ApiRouter, DemoBuilder, StatsSection


class Config(AppConfig):
    name = "duban.rounds"
    label = "rounds"
    verbose_name = "调度报送"
    default_auto_field = "django.db.models.BigAutoField"
    stats_sections = [StatsSection("rounds", figures="duban.rounds.queries.figures")]
    api_routers = [ApiRouter("/rounds", "duban.rounds.api.router")]
    # After the items a round asks about (add "projects" once the projects app declares a
    # builder), and last: the seeded builders before it keep drawing the same numbers.
    demo_builders = [DemoBuilder("rounds", "duban.rounds.demo.build", after=("plan", "ledger", "triage"))]

    @property
    def schedules(self) -> list:
        """Every 5 minutes: open scheduled rounds, chase non-submitters, lock past the grace time."""
        from duban.core.schedules import ScheduleSpec

        return [ScheduleSpec("rounds-tick", "duban.rounds.tasks.rounds_tick", "interval", every_minutes=5, name="调度报送：开放、催报、截止")]

    def audit_verbs(self) -> dict:
        return {
            "round.open": _("发起调度"), "round.draft": _("保存报送草稿"), "round.submit": _("报送"), "round.return": _("退回报送"),
            "round.chase": _("催报"), "round.cadence": _("设置调度安排"), "round.lock": _("调度截止"),
        }
