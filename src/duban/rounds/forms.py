"""Forms of the rounds' pages: opening a round, a cadence, and the unit's form (one row per
item). They only parse and bound input with Chinese messages; services write."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from duban.core import evidence_files
from duban.core.validation import CleanTextForm
from duban.rounds import services
from duban.rounds.models import Kind, LineKind, Rule, Scope
from duban.rounds.queries import FormLine

SPLIT = re.compile(r"[、，,；;\s]+")
MAX_NAMES = 20000  # characters of a list of unit names
MAX_UNITS = 2000  # units named by hand in one round or cadence
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
WEEKDAYS = [(0, _("周一")), (1, _("周二")), (2, _("周三")), (3, _("周四")), (4, _("周五")), (5, _("周六")), (6, _("周日"))]


class UnitsField(forms.CharField):
    """Several units by name, separated by 、，, or spaces, each one unit of the campaign's
    tree the user may choose (the picker below the box appends names)."""

    def __init__(self, *args, **kwargs):
        self.user, self.within = None, None
        kwargs.setdefault("max_length", MAX_NAMES)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        from duban.orgs.matching import resolve_in
        from duban.orgs.scoping import visible_units

        text = super().clean(value)
        names = list(dict.fromkeys(n for n in SPLIT.split(text or "") if n))
        if len(names) > MAX_UNITS:
            raise forms.ValidationError(_("指定单位最多%(n)s个") % {"n": MAX_UNITS})
        choosable = visible_units(self.user)
        if self.within is not None:
            choosable = choosable.filter(path__startswith=self.within.path)
        units, errors = [], []
        for name in names:
            found = resolve_in(choosable, name)
            if isinstance(found, str):
                errors.append(found)
            else:
                units.append(found)
        if errors:
            raise forms.ValidationError(errors[:10])
        return units


def names_of(units) -> str:
    return "、".join(u.name for u in units)


def _int_errors(label: str, low: int, high: int) -> dict[str, Any]:
    msg = _("%(label)s须在%(low)s到%(high)s之间") % {"label": label, "low": low, "high": high}
    return {"min_value": msg, "max_value": msg, "invalid": _("请填写整数"), "required": _("请填写%(label)s") % {"label": label}}


class RoundForm(CleanTextForm, forms.Form):
    """The office opens a round by hand."""

    name = forms.CharField(label=_("名称"), max_length=services.MAX_NAME, help_text=_("如：第50周工作进展"))
    kind = forms.ChoiceField(label=_("调度类型"), choices=Kind.choices, initial=Kind.ROUTINE)
    due_at = forms.DateTimeField(label=_("截止时间"), input_formats=DATETIME_FORMATS,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                 error_messages={"invalid": _("请填写截止时间，如 2026-05-15 17:00"), "required": _("请填写截止时间")})
    lock_at = forms.DateTimeField(label=_("补报截止"), required=False, input_formats=DATETIME_FORMATS,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                  error_messages={"invalid": _("请填写补报截止时间，如 2026-05-17 17:00")},
                                  help_text=_("截止后仍可补报（记为迟报），到此时间后锁定；不填为截止后48小时"))
    scope = forms.ChoiceField(label=_("报送范围"), choices=Scope.choices, initial=Scope.RESPONSIBLE)
    units = UnitsField(label=_("指定单位"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                       help_text=_("报送范围为“指定单位”时填写；多个单位用“、”分隔，也可用下方的查找框逐个添加"))
    instructions = forms.CharField(label=_("报送要求"), max_length=services.MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user=None, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].user = user
        self.fields["units"].within = campaign.unit if campaign else None

    def clean(self):
        data = super().clean()
        if data.get("scope") == Scope.UNITS and not data.get("units") and not self.has_error("units"):
            self.add_error("units", _("请指定报送单位"))
        if data.get("scope") != Scope.UNITS:
            data["units"] = []
        return data


class CadenceForm(CleanTextForm, forms.Form):
    """A standing cadence: the worker opens its rounds."""

    name = forms.CharField(label=_("名称"), max_length=services.MAX_NAME, help_text=_("如：每周工作进展"))
    kind = forms.ChoiceField(label=_("调度类型"), choices=Kind.choices, initial=Kind.ROUTINE)
    rule = forms.ChoiceField(label=_("频次"), choices=Rule.choices, initial=Rule.WEEKLY)
    weekday = forms.TypedChoiceField(label=_("截止星期（每周）"), choices=WEEKDAYS, coerce=int, initial=4)
    every_n = forms.IntegerField(label=_("间隔（工作日）"), initial=5, min_value=1, max_value=60, error_messages=_int_errors(_("间隔"), 1, 60))
    month_day = forms.IntegerField(label=_("每月截止日"), initial=25, min_value=1, max_value=28, error_messages=_int_errors(_("每月截止日"), 1, 28))
    due_time = forms.TimeField(label=_("截止时间"), initial="17:00", input_formats=["%H:%M", "%H:%M:%S"],
                               widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                               error_messages={"invalid": _("请填写时间，如 17:00"), "required": _("请填写截止时间")})
    open_workdays = forms.IntegerField(label=_("提前几个工作日开放"), initial=4, min_value=0, max_value=20,
                                       error_messages=_int_errors(_("提前开放"), 0, 20))
    grace_hours = forms.IntegerField(label=_("补报宽限（小时）"), initial=48, min_value=0, max_value=336,
                                     error_messages=_int_errors(_("补报宽限"), 0, 336))
    scope = forms.ChoiceField(label=_("报送范围"), choices=Scope.choices, initial=Scope.RESPONSIBLE)
    units = UnitsField(label=_("指定单位"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                       help_text=_("报送范围为“指定单位”时填写；多个单位用“、”分隔，也可用下方的查找框逐个添加"))
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, user=None, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].user = user
        self.fields["units"].within = campaign.unit if campaign else None

    def clean(self):
        data = super().clean()
        if data.get("scope") == Scope.UNITS and not data.get("units") and not self.has_error("units"):
            self.add_error("units", _("请指定报送单位"))
        if data.get("scope") != Scope.UNITS:
            data["units"] = []
        return data


def cadence_initial(c) -> dict[str, Any]:
    return {"name": c.name, "kind": c.kind, "rule": c.rule, "weekday": c.weekday, "every_n": c.every_n, "month_day": c.month_day,
            "due_time": c.due_time, "open_workdays": c.open_workdays, "grace_hours": c.grace_hours, "scope": c.scope,
            "units": names_of(c.units.order_by("path")), "active": c.active}


class ReturnForm(CleanTextForm, forms.Form):
    reason = forms.CharField(label=_("退回理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写退回理由")})


# ------------------------------------------------------------------ the unit's form


@dataclass
class Row:
    """One item of the form as shown: what the unit typed (or the prefill) and its errors."""

    fl: FormLine
    key: str  # the inputs' name prefix: "task-12"
    progress: str = ""
    done: str = ""
    invested_wan: str = ""
    problems: str = ""
    next_steps: str = ""
    unchanged: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def item(self):
        return self.fl.item

    @property
    def is_project(self) -> bool:
        return self.fl.item.kind == LineKind.PROJECT

    @property
    def kind_label(self) -> str:
        return str(LineKind(self.fl.item.kind).label)

    @property
    def last(self):
        return self.fl.last

    @property
    def files(self) -> list[dict]:
        """What this submission has attached to the item so far, with links."""
        return self.fl.line.file_links if self.fl.line is not None else []


def _key(fl: FormLine) -> str:
    return f"{fl.item.kind}-{fl.item.object_id}"


def rows_initial(lines: list[FormLine]) -> list[Row]:
    """The rows as the form opens: what this submission saved, else the last submission's
    progress, problems and next steps (本期工作 and this period's investment start empty:
    they are this period's), else the item's own progress."""
    out = []
    for fl in lines:
        src = fl.line or fl.last
        progress = src.progress if src is not None and src.progress is not None else fl.item.progress
        row = Row(fl, _key(fl), progress="" if progress is None else str(progress))
        if fl.line is not None:
            row.done, row.problems, row.next_steps, row.unchanged = fl.line.done, fl.line.problems, fl.line.next_steps, fl.line.unchanged
            row.invested_wan = "" if fl.line.invested_wan is None else f"{fl.line.invested_wan:f}"
        elif fl.last is not None:
            row.problems, row.next_steps = fl.last.problems, fl.last.next_steps
        out.append(row)
    return out


def _check_text(value: str, label: str, errors: list[str]) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        errors.append(gettext("%(label)s含有不可见的空字符，请删去后再提交") % {"label": label})
    elif len(value) > services.MAX_TEXT:
        errors.append(gettext("%(label)s不能超过%(n)s字（现有%(m)s字）") % {"label": label, "n": services.MAX_TEXT, "m": len(value)})
    return value


def _uploads(files, key: str, errors: list[str]) -> tuple[tuple[str, bytes], ...]:
    """The files chosen for one row, read only when each is within the size limit."""
    chosen = files.getlist(f"{key}-files") if files is not None else []
    if len(chosen) > services.MAX_FILES_PER_LINE:
        errors.append(gettext("每项最多%(n)s个附件") % {"n": services.MAX_FILES_PER_LINE})
        return ()
    out = []
    for f in chosen:
        if f.size > evidence_files.max_bytes():
            errors.append(gettext("附件“%(name)s”过大，上限 %(mb)s MB") % {"name": f.name, "mb": evidence_files.max_bytes() // 1048576})
            continue
        out.append((f.name, f.read()))
    return tuple(out)


def rows_from_post(lines: list[FormLine], data: Mapping[str, Any], files=None) -> tuple[list[Row], list[services.LineInput]]:
    """The rows as posted, each checked on its own so every bad row says what is wrong with
    it; the LineInputs for the service (only meaningful when no row has errors). `files`:
    the request's uploads (`<key>-files`, several per row)."""
    rows, inputs = [], []
    for fl in lines:
        key = _key(fl)
        row = Row(fl, key, progress=(data.get(f"{key}-progress") or "").strip()[:20], done=data.get(f"{key}-done") or "",
                  invested_wan=(data.get(f"{key}-invested_wan") or "").strip()[:40], problems=data.get(f"{key}-problems") or "",
                  next_steps=data.get(f"{key}-next_steps") or "", unchanged=data.get(f"{key}-unchanged") in ("on", "1", "true"))
        progress: int | None = None
        if row.progress:
            try:
                progress = int(row.progress.rstrip("%").strip())
            except ValueError:
                row.errors.append(gettext("进度须为0到100之间的整数"))
            else:
                if not 0 <= progress <= 100:
                    row.errors.append(gettext("进度须在0到100之间（填的是%(v)s）") % {"v": progress})
        invested: Decimal | None = None
        if row.invested_wan:
            if not row.is_project:
                row.errors.append(gettext("只有项目填写本期完成投资"))
            else:
                try:
                    invested = Decimal(row.invested_wan.replace(",", "").replace("，", ""))
                except InvalidOperation:
                    row.errors.append(gettext("本期完成投资须为数字（万元）"))
                else:
                    if not invested.is_finite() or invested < 0:
                        row.errors.append(gettext("本期完成投资不能为负数"))
        row.done = _check_text(row.done, gettext("本期工作"), row.errors)
        row.problems = _check_text(row.problems, gettext("存在问题"), row.errors)
        row.next_steps = _check_text(row.next_steps, gettext("下步计划"), row.errors)
        rows.append(row)
        uploads = _uploads(files, key, row.errors)
        inputs.append(services.LineInput(fl.item.kind, fl.item.object_id, progress=progress, done=row.done, invested_wan=invested,
                                         problems=row.problems, next_steps=row.next_steps, unchanged=row.unchanged, files=uploads))
    return rows, inputs


def missing_rows(rows: list[Row]) -> list[Row]:
    """Rows a submission cannot leave empty: neither 本期工作 nor 无新进展."""
    return [r for r in rows if not (r.done or r.unchanged)]


def local_input(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""
