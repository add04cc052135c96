from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import ApiRouter


class Config(AppConfig):
    verbose_name = "活动"
    name = "duban.campaigns"
    label = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"
    api_routers = [ApiRouter("/campaigns", "duban.campaigns.api.router")]
    audit_verbs = {
        "campaign.create": _("新建活动"), "campaign.update": _("修改活动"), "focusarea.create": _("添加聚焦领域"),
    }

    def nav(self) -> list:
        from duban.core.nav import NavItem

        return [NavItem("campaigns:list", _("活动"), 40, active_for=("campaigns:",))]
