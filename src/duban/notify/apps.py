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
        the two would leave rows waiting until the next notify_send. And one schedule for each
        reminder the apps declare (core/reminders.py), at the time it declares."""
        from duban.core.reminders import declared_reminders, reminder_sources
        from duban.core.schedules import ScheduleSpec  # models are not loaded when AppConfigs are

        reminder_sources()  # a part contributed to an undeclared reminder fails here, at the worker's start
        return [
            ScheduleSpec("notify-deliver", "duban.notify.tasks.deliver_outbox", "interval", every_minutes=5, name="发送通知"),
            *(ScheduleSpec(f"remind-{r.key}", "duban.notify.tasks.send_reminder", r.rule, at=r.at, weekday=r.weekday,
                           name=r.name, kwargs={"key": r.key}) for r in declared_reminders().values()),
        ]

    audit_verbs = {"notify.channel.set": _("修改通知渠道"), "notify.channel.remove": _("删除通知渠道"),
                   "reminder.send": _("发送提醒")}

    def nav(self) -> list:
        from duban.core.nav import NavItem
        from duban.orgs.scoping import is_office

        return [NavItem("notify:channels", _("通知渠道"), 55, lambda user, campaign: is_office(user), active_for=("notify:channel",))]
