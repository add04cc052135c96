from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import ApiRouter, DemoBuilder, HomePanel, StatsSection


class Config(AppConfig):
    name = "duban.rounds"
    label = "rounds"
    verbose_name = "调度报送"
    default_auto_field = "django.db.models.BigAutoField"
    stats_sections = [StatsSection("rounds", figures="duban.rounds.queries.figures")]
    home_panels = [HomePanel("rounds", "rounds/_home_card.html", order=7, context="duban.rounds.queries.home_card")]
    api_routers = [ApiRouter("/rounds", "duban.rounds.api.router")]
    # After the items a round asks about, and last: the seeded builders before it keep
    # drawing the same numbers.
    demo_builders = [DemoBuilder("rounds", "duban.rounds.demo.build", after=("plan", "ledger", "projects", "triage"))]

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

    def nav(self) -> list:
        from duban.core.nav import NavItem

        def has_units(user, campaign) -> bool:
            """Every member of a unit: any unit may be asked in a round, the office runs them and
            its leaders read them (no query: the grants are the request's)."""
            from duban.orgs.scoping import grants

            return bool(grants(user)) or user.is_superuser

        return [NavItem("rounds:index", _("调度报送"), 12, has_units, active_for=("rounds:",))]

    def todo(self, user) -> list:
        """我的待办: the unit's submissions of open rounds not yet submitted (pending, draft,
        or returned with a reason), due first."""
        from duban.core.todo import TodoSection
        from duban.rounds.queries import own_unit_ids, waiting_submissions

        if not own_unit_ids(user):
            return []
        return [TodoSection(_("待报送的调度"), "rounds/_todo.html", waiting_submissions(user), order=12, key="rounds")]
