from django.apps import AppConfig


class Config(AppConfig):
    verbose_name = "公共"
    name = "duban.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the deploy checks and the check that every declared contribution resolves.
        from duban.core import checks, contributions  # noqa: F401
