from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    verbose_name = "公共"
    name = "duban.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from duban.core import checks  # noqa: F401 - registers the deploy checks

    @property
    def schedules(self) -> list:
        """Housekeeping of the database queue (a property: models are not loaded yet here)."""
        import datetime as dt

        from duban.core.schedules import ScheduleSpec

        return [ScheduleSpec("tasks-prune", "duban.core.tasks.prune_results", "daily", at=dt.time(3, 30), name="清理后台任务记录")]

    def nav(self) -> list:
        from duban.core.nav import NavItem

        return [NavItem("home", _("首页"), 0)]
