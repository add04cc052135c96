from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    verbose_name = "审计日志"
    name = "duban.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def nav(self) -> list:
        from duban.audit.queries import may_read_trail
        from duban.core.nav import NavItem

        return [NavItem("audit:list", _("审计日志"), 60, may_read_trail, active_for=("audit:",))]
