from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    """Home pages: the figures and panels the other apps declare, put together per person."""

    name = "duban.dashboard"
    label = "dashboard"
    verbose_name = "首页"
    default_auto_field = "django.db.models.BigAutoField"

    def nav(self) -> list:
        from duban.core.nav import NavItem

        return [NavItem("home", _("首页"), 0)]
