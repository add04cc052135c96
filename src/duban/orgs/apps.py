from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import ApiRouter, LedgerIO


class Config(AppConfig):
    verbose_name = "单位与人员"
    name = "duban.orgs"
    label = "orgs"
    default_auto_field = "django.db.models.BigAutoField"
    api_routers = [ApiRouter("/units", "duban.orgs.api.router")]
    ledgers = [LedgerIO("units", "单位", importer="duban.orgs.io.units_import", exporter="duban.orgs.io.units_export_cli")]
    # What the audit trail calls this app's verbs (duban.audit.labels).
    audit_verbs = {
        "orgunit.create": _("新建单位"), "orgunit.update": _("修改单位"), "orgunit.bulk_create": _("导入单位"),
        "membership.set": _("设置人员角色"), "user.create": _("新建账号"), "user.set_password": _("重设密码"),
        "token.create": _("创建 API 令牌"), "token.revoke": _("撤销 API 令牌"), "owners.set": _("设置责任分工"),
    }

    def nav(self) -> list:
        from duban.core.nav import NavItem

        return [NavItem("orgs:unit_list", _("单位"), 50, active_for=("orgs:",))]
