from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    """The office's settings pages for shared machinery: the working-day calendar and the
    background work (schedules, queue, failures). The machinery itself lives in core."""

    name = "duban.office"
    label = "office"
    verbose_name = "系统设置"
    default_auto_field = "django.db.models.BigAutoField"
    audit_verbs = {
        "calendar.set_day": _("修改工作日历"), "calendar.set_year": _("标记工作日历年份"),
        "schedule.update": _("修改定时任务"),
    }

    @property
    def reminders(self) -> list:
        """The office's digest of what waits on it; the ledger and intake contribute its parts
        (销号 and extension requests, 待分拣 suggestions)."""
        from duban.core.reminders import Reminder

        return [Reminder("office-waiting", "推进办待办汇总", "%(unit)s：待审核、待分拣事项汇总（%(date)s）")]

    def nav(self) -> list:
        from duban.core.nav import NavItem
        from duban.orgs.scoping import is_office

        return [NavItem("office:calendar", _("设置"), 90, lambda user, campaign: is_office(user), active_for=("office:",))]
