from django.apps import AppConfig


class Config(AppConfig):
    verbose_name = "公共"
    name = "duban.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the deploy checks and the check that every declared contribution resolves.
        from duban.core import checks, contributions  # noqa: F401

    @property
    def schedules(self) -> list:
        """Housekeeping of the database queue (a property: models are not loaded yet here)."""
        import datetime as dt

        from duban.core.schedules import ScheduleSpec

        return [ScheduleSpec("tasks-prune", "duban.core.tasks.prune_results", "daily", at=dt.time(3, 30), name="清理后台任务记录")]
