from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    """Bulletins (通报). For now the dated snapshots of the headline figures they are built from."""

    name = "duban.bulletins"
    label = "bulletins"
    verbose_name = "通报"
    default_auto_field = "django.db.models.BigAutoField"
    audit_verbs = {"snapshot.take": _("记录统计快照")}

    @property
    def schedules(self) -> list:
        """The day's figures are recorded late in the evening (Asia/Shanghai), after the day's work.
        The figures are what `duban stats` prints, so the task sits with that door (duban.stats)."""
        import datetime as dt

        from duban.core.schedules import ScheduleSpec  # models are not loaded when AppConfigs are

        return [ScheduleSpec("bulletins-snapshot", "duban.stats.take_snapshots", "daily", at=dt.time(23, 50),
                             name="记录当天统计快照")]
