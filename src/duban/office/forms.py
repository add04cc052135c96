from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.core.models import Schedule

KINDS = [("holiday", _("放假")), ("workday", _("调休上班")), ("normal", _("恢复按周一至周五"))]
WEEKDAYS = [(i, _(d)) for i, d in enumerate(["周一", "周二", "周三", "周四", "周五", "周六", "周日"])]


class DayForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("设为"), choices=KINDS)
    name = forms.CharField(label=_("名称"), max_length=40, required=False, widget=forms.TextInput(attrs={"placeholder": _("如 春节、国庆节调休")}))


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, widget=forms.HiddenInput)
    official = forms.BooleanField(required=False)
    source = forms.CharField(label=_("依据"), max_length=200, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("如 国务院办公厅关于2027年部分节假日安排的通知")}))


class ScheduleForm(forms.Form):
    rule = forms.ChoiceField(label=_("频次"), choices=[(v, _(label)) for v, label in Schedule.Rule.choices])
    weekday = forms.TypedChoiceField(label=_("星期"), choices=WEEKDAYS, coerce=int, required=False)
    at = forms.TimeField(label=_("时间"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    every_minutes = forms.IntegerField(label=_("间隔分钟"), min_value=1, max_value=7 * 24 * 60, required=False)
    enabled = forms.BooleanField(label=_("启用"), required=False)

    def clean(self):
        data = super().clean()
        rule = data.get("rule")
        if rule == Schedule.Rule.INTERVAL and not data.get("every_minutes"):
            self.add_error("every_minutes", _("请填写间隔分钟"))
        if rule in (Schedule.Rule.DAILY, Schedule.Rule.WORKDAYS, Schedule.Rule.WEEKLY) and data.get("at") is None:
            self.add_error("at", _("请填写时间"))
        if rule == Schedule.Rule.WEEKLY and data.get("weekday") in (None, ""):
            self.add_error("weekday", _("请选择星期"))
        return data
