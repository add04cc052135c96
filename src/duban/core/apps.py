from django.apps import AppConfig


class Config(AppConfig):
    verbose_name = "公共"
    name = "duban.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from duban.core import checks  # noqa: F401 - registers the deploy checks
