from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    verbose_name = "公共"
    name = "duban.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from duban.core import checks  # noqa: F401 - registers the deploy checks

    def nav(self) -> list:
        from duban.core.nav import NavItem

        return [NavItem("home", _("首页"), 0)]
