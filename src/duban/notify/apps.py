from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    verbose_name = "通知"
    name = "duban.notify"
    label = "notify"
    default_auto_field = "django.db.models.BigAutoField"
    @property
    def schedules(self) -> list:
        """A safety net: deliveries queue their own next run, but a worker that died between
        the two would leave rows waiting until the next notify_send."""
        from duban.core.schedules import ScheduleSpec  # models are not loaded when AppConfigs are

        return [ScheduleSpec("notify-deliver", "duban.notify.tasks.deliver_outbox", "interval", every_minutes=5, name="发送通知")]

    audit_verbs = {"notify.channel.set": _("修改通知渠道"), "notify.channel.remove": _("删除通知渠道")}

    def nav(self) -> list:
        from duban.core.nav import NavItem
        from duban.orgs.scoping import is_office

        return [NavItem("notify:channels", _("通知渠道"), 55, lambda user, campaign: is_office(user), active_for=("notify:channel",))]
