"""Forms of the plan's pages. They only parse and bound input (Chinese messages); services write."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.core.validation import CleanTextForm, flag_param, id_or_none, text_param
from duban.ledger.forms import CnDateField, TransitionForm
from duban.orgs.forms import UnitField
from duban.orgs.models import OrgUnit
from duban.plan import queries, services
from duban.plan.models import Frequency, Level, Light, PlanItem, Status

SPLIT = re.compile(r"[、，,；;\s]+")
MAX_NAMES = 2000  # characters of a list of unit names or 序号


# ------------------------------------------------------------------ the list's filters


def filters_from(params: Mapping[str, Any], user) -> tuple[queries.Filters, dict[str, Any]]:
    """queries.Filters from the list's query string; what cannot be used is dropped (a list
    filter is lenient). Also the values to show back in the form."""
    from duban.orgs.scoping import visible_units

    f = queries.Filters()
    light = text_param(params, "light", max_length=10)
    f.light = light if light in Light.values else ""
    status = text_param(params, "status", max_length=20)
    f.status = status if status in Status.values else ""
    role = text_param(params, "role", max_length=4)
    f.role = role if role in ("lead", "co") else ""
    unit_id = id_or_none(params.get("unit"))
    if unit_id is not None:
        f.unit = visible_units(user).filter(pk=unit_id).first()
    f.leader = text_param(params, "leader", max_length=60)
    f.q = text_param(params, "q")
    level = id_or_none(params.get("level"))
    f.level = level if level in Level.values else None
    f.late_start = flag_param(params, "late_start")
    f.overdue = flag_param(params, "overdue")
    return f, {"light": f.light, "status": f.status, "role": f.role, "unit": f.unit.pk if f.unit else None, "leader": f.leader,
               "q": f.q, "level": f.level, "late_start": f.late_start, "overdue": f.overdue}


# ------------------------------------------------------------------ the item form


class CoUnitsField(forms.CharField):
    """Several units by name, separated by 、，, or spaces (as the 任务分工表 writes them);
    each must be one unit of the campaign's tree that the user may choose."""

    def __init__(self, *args, **kwargs):
        self.user, self.within = None, None
        kwargs.setdefault("max_length", MAX_NAMES)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        from duban.orgs.matching import resolve_in
        from duban.orgs.scoping import visible_units

        text = super().clean(value)
        names = [n for n in SPLIT.split(text or "") if n]
        if len(names) > services.MAX_CO_UNITS:
            raise forms.ValidationError(_("责任单位最多%(n)s个") % {"n": services.MAX_CO_UNITS})
        units, errors = [], []
        choosable = visible_units(self.user)
        if self.within is not None:
            choosable = choosable.filter(path__startswith=self.within.path)
        for name in dict.fromkeys(names):
            found = resolve_in(choosable, name)
            if isinstance(found, str):
                errors.append(found)
            else:
                units.append(found)
        if errors:
            raise forms.ValidationError(errors)
        return units


def names_of(units) -> str:
    return "、".join(u.name for u in units)


class ItemForm(CleanTextForm, forms.Form):
    title = forms.CharField(label=_("事项"), max_length=services.MAX_TITLE, widget=forms.Textarea(attrs={"rows": 2}))
    parent = forms.ModelChoiceField(label=_("上级事项"), queryset=PlanItem.objects.none(), required=False,
                                    empty_label=_("（无，作为“方面”）"), error_messages={"invalid_choice": _("所选上级事项不存在")})
    seq = forms.CharField(label=_("序号"), max_length=20, required=False)
    description = forms.CharField(label=_("说明"), max_length=services.MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    lead_unit = UnitField(label=_("牵头单位"))
    co_units = CoUnitsField(label=_("责任单位"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("多个单位用“、”分隔；也可用下方的查找框逐个添加"))
    leader_name = forms.CharField(label=_("分管领导"), max_length=60, required=False)
    start_date = CnDateField(label=_("计划开始"), required=False, help_text=_("如 2026-03-01 或 2026年3月1日"))
    deadline = CnDateField(label=_("完成时限"), required=False)
    duration_days = forms.IntegerField(label=_("工期（工作日）"), required=False, min_value=1, max_value=2000,
                                       error_messages={"min_value": _("工期须在1到2000个工作日之间"), "max_value": _("工期须在1到2000个工作日之间"),
                                                       "invalid": _("请填写整数")},
                                       help_text=_("倒排工期：由完成时限和工期推算最迟开始"))
    frequency = forms.ChoiceField(label=_("汇报频次"), choices=Frequency.choices, initial=Frequency.WEEKLY)
    weight = forms.IntegerField(label=_("权重"), initial=1, min_value=1, max_value=100,
                                error_messages={"min_value": _("权重须在1到100之间"), "max_value": _("权重须在1到100之间"),
                                                "invalid": _("请填写整数"), "required": _("请填写权重")})
    progress_from_children = forms.BooleanField(label=_("进度由下级事项加权计算"), required=False)
    predecessors = forms.CharField(label=_("前置事项"), max_length=MAX_NAMES, required=False,
                                   help_text=_("填前置事项的序号，多个用“、”分隔；前置事项办结后本事项才能开始"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**62)

    def __init__(self, *args, user=None, campaign=None, item: PlanItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign, self.item = campaign, item
        self.fields["lead_unit"].user = user
        self.fields["lead_unit"].within = campaign.unit if campaign else None
        self.fields["co_units"].user = user
        self.fields["co_units"].within = campaign.unit if campaign else None
        self.fields["parent"].queryset = queries.parents_for(campaign, exclude=item) if campaign else PlanItem.objects.none()
        self.fields["parent"].label_from_instance = lambda p: f"{'　' * (p.level - 1)}{p.seq} {p.title}".strip()[:80]

    def clean_predecessors(self):
        seqs = [s for s in SPLIT.split(self.cleaned_data.get("predecessors") or "") if s]
        if not seqs:
            return []
        found = {p.seq: p for p in PlanItem.objects.filter(campaign=self.campaign, seq__in=seqs)}
        missing = [s for s in seqs if s not in found]
        if missing:
            raise forms.ValidationError(_("没有序号为“%(s)s”的事项") % {"s": "、".join(missing[:10])})
        if self.item is not None and any(p.pk == self.item.pk for p in found.values()):
            raise forms.ValidationError(_("前置事项不能是它自己"))
        return list({p.pk: p for p in found.values()}.values())

    def clean(self):
        data = super().clean()
        start, deadline = data.get("start_date"), data.get("deadline")
        if start and deadline and start > deadline:
            self.add_error("deadline", _("完成时限不能早于计划开始"))
        return data

    def new_item(self) -> services.NewItem:
        d = self.cleaned_data
        return services.NewItem(
            title=d["title"], lead_unit=d["lead_unit"], co_units=d["co_units"], parent=d["parent"], seq=d["seq"],
            description=d["description"], leader_name=d["leader_name"], start_date=d["start_date"], deadline=d["deadline"],
            duration_days=d["duration_days"], frequency=d["frequency"], weight=d["weight"],
            progress_from_children=d["progress_from_children"],
        )


def item_initial(item: PlanItem, co_units, predecessors) -> dict[str, Any]:
    return {
        "title": item.title, "parent": item.parent_id, "seq": item.seq, "description": item.description, "lead_unit": item.lead_unit,
        "co_units": names_of(co_units), "leader_name": item.leader_name,
        "start_date": item.start_date.isoformat() if item.start_date else "", "deadline": item.deadline.isoformat() if item.deadline else "",
        "duration_days": item.duration_days, "frequency": item.frequency, "weight": item.weight,
        "progress_from_children": item.progress_from_children, "predecessors": "、".join(p.seq for p in predecessors if p.seq),
        "version": item.version,
    }


class MilestoneForm(CleanTextForm, forms.Form):
    """One node of the milestones editor; its unit is named and must own the item."""

    title = forms.CharField(label=_("节点"), max_length=200, required=False)
    due = CnDateField(label=_("节点时间"), required=False)
    unit = forms.CharField(label=_("责任单位"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("title") and not data.get("due") and not self.has_error("due"):
            self.add_error("due", _("请填写节点时间"))
        if (data.get("due") or data.get("unit")) and not data.get("title") and not self.has_error("title"):
            self.add_error("title", _("请填写节点名称"))
        return data


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=3, max_num=services.MAX_MILESTONES, validate_max=True)


def milestone_rows(formset, owners: list[OrgUnit]) -> list[tuple[str, Any, OrgUnit | None]] | None:
    """[(title, due, unit)] from a valid formset, units matched by name among the item's
    owners (lead and co); None (with errors on the forms) when a name matches none."""
    by_name = {u.name: u for u in owners}
    rows, ok = [], True
    for form in formset:
        d = form.cleaned_data
        if not d or not d.get("title"):
            continue
        unit = None
        if d.get("unit"):
            unit = by_name.get(d["unit"].strip())
            if unit is None:
                form.add_error("unit", _("“%(u)s”不是该事项的牵头或责任单位") % {"u": d["unit"]})
                ok = False
                continue
        rows.append((d["title"], d["due"], unit))
    return rows if ok else None


def milestones_initial(milestones) -> list[dict[str, Any]]:
    return [{"title": m.title, "due": m.due.isoformat(), "unit": m.unit.name if m.unit else ""} for m in milestones]


# ------------------------------------------------------------------ the item page


class ReportForm(CleanTextForm, forms.Form):
    note = forms.CharField(label=_("进展情况"), max_length=services.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("请填写进展情况")})
    progress = forms.IntegerField(label=_("进度（%）"), required=False, min_value=0, max_value=100,
                                  error_messages={"min_value": _("进度须在0到100之间"), "max_value": _("进度须在0到100之间"),
                                                  "invalid": _("进度须为0到100之间的整数")})


class PlanTransitionForm(TransitionForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**62)


class InstructionForm(CleanTextForm, forms.Form):
    author = forms.CharField(label=_("批示领导"), max_length=60, error_messages={"required": _("请填写批示领导")})
    text = forms.CharField(label=_("批示内容"), max_length=services.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("请填写批示内容")})
    given_on = CnDateField(label=_("批示日期"), required=False)


class LightRuleForm(forms.Form):
    due_soon_days = forms.IntegerField(label=_("临期预警（工作日）"), min_value=0, max_value=60,
                                       help_text=_("距完成时限不足该工作日数时亮黄灯"),
                                       error_messages={"min_value": _("临期预警须在0到60个工作日之间"), "max_value": _("临期预警须在0到60个工作日之间"),
                                                       "invalid": _("请填写整数"), "required": _("请填写临期预警天数")})
    behind_yellow = forms.IntegerField(label=_("落后序时进度黄灯（百分点）"), min_value=1, max_value=100,
                                       error_messages={"min_value": _("须在1到100之间"), "max_value": _("须在1到100之间"),
                                                       "invalid": _("请填写整数"), "required": _("请填写黄灯点数")})
    behind_red = forms.IntegerField(label=_("落后序时进度红灯（百分点）"), min_value=1, max_value=100,
                                    help_text=_("落后超过该点数，或已逾期，亮红灯"),
                                    error_messages={"min_value": _("须在1到100之间"), "max_value": _("须在1到100之间"),
                                                    "invalid": _("请填写整数"), "required": _("请填写红灯点数")})

    def clean(self):
        data = super().clean()
        y, r = data.get("behind_yellow"), data.get("behind_red")
        if y is not None and r is not None and y >= r:
            self.add_error("behind_red", _("红灯点数须大于黄灯点数"))
        return data


