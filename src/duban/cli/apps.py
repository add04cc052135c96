from django.apps import AppConfig


class Config(AppConfig):
    """Installed so Django finds the door's management commands; it has no models."""

    name = "duban.cli"
    label = "cli"
    verbose_name = "命令行"
