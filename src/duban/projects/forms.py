"""Forms of the project pages. They only parse and bound input (Chinese messages); services
write and hold the rules (money in 万元, dates not in the future, one record per period)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _

from duban.core.validation import CleanTextForm, flag_param, id_or_none, text_param
from duban.ledger.forms import CnDateField
from duban.orgs.forms import UnitField
from duban.projects import queries, services
from duban.projects.models import BlockerKind, Cadence, Kind, Light, NodeKind, Pool, Project, Stage

MAX_VERSION = 2**62
INT_ERRORS = {"invalid": _("请填写整数"), "required": _("必填")}


def _int(label, lo: int, hi: int, **kw) -> forms.IntegerField:
    words = _("须在%(lo)s到%(hi)s之间") % {"lo": lo, "hi": hi}
    return forms.IntegerField(label=label, min_value=lo, max_value=hi,
                              error_messages={**INT_ERRORS, "min_value": words, "max_value": words}, **kw)


# Django's Chinese for max_length ("确保该变量包含不超过…") speaks of a variable: a person reads ours.
TOO_LONG = {"max_length": _("不能超过%(limit_value)d字（现有%(show_value)d字）")}

class MoneyField(forms.CharField):
    """万元 as offices type it (1,200.5 or 1，200); the services' rule decides the range."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            return services.money(text, str(self.label))
        except DjangoValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


# ------------------------------------------------------------------ the lists' filters


def filters_from(params: Mapping[str, Any], user, campaign) -> tuple[queries.Filters, dict[str, Any]]:
    """queries.Filters from a list's query string; what cannot be used is dropped (a list filter
    is lenient). Also the values to show back in the form."""
    from duban.orgs.scoping import visible_units

    f = queries.Filters()
    light = text_param(params, "light", max_length=12)
    f.light = light if light in (*Light.values, "red_yellow") else ""
    stage = text_param(params, "stage", max_length=20)
    f.stage = stage if stage in Stage.values else ""
    pool = id_or_none(params.get("pool"))
    f.pool = pool if pool and campaign and Pool.objects.filter(pk=pool, campaign=campaign).exists() else None
    unit_id = id_or_none(params.get("unit"))
    if unit_id is not None:
        f.unit = visible_units(user).filter(pk=unit_id).first()
    f.industry = text_param(params, "industry", max_length=60)
    f.leader = id_or_none(params.get("leader"))
    f.major = flag_param(params, "major")
    f.sanzao = flag_param(params, "sanzao")
    f.blocked = flag_param(params, "blocked")
    f.q = text_param(params, "q", max_length=100)
    return f, {"light": f.light, "stage": f.stage, "pool": f.pool, "unit": f.unit.pk if f.unit else None, "industry": f.industry,
               "leader": f.leader, "major": f.major, "sanzao": f.sanzao, "blocked": f.blocked, "q": f.q}


# ------------------------------------------------------------------ a project


class ProjectForm(CleanTextForm, forms.Form):
    name = forms.CharField(label=_("项目名称"), max_length=services.MAX_NAME, error_messages={"required": _("请填写项目名称")})
    seq = forms.CharField(label=_("序号"), max_length=20, required=False)
    pool = forms.ModelChoiceField(label=_("项目库"), queryset=Pool.objects.none(), required=False, empty_label=_("（不入库）"),
                                  error_messages={"invalid_choice": _("所选项目库不存在")})
    unit = UnitField(label=_("所属单位"), error_messages={"required": _("请选择所属单位")})
    department = UnitField(label=_("责任部门"), required=False)
    leader_name = forms.CharField(label=_("包保领导"), max_length=60, required=False)
    secretary_name = forms.CharField(label=_("项目秘书"), max_length=60, required=False)
    builder = forms.CharField(label=_("建设单位"), max_length=services.MAX_NAME, required=False)
    industry = forms.CharField(label=_("行业"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("建设性质"), choices=Kind.choices, initial=Kind.NEW)
    stage = forms.ChoiceField(label=_("项目阶段"), choices=Stage.choices, initial=Stage.PLANNING,
                              help_text=_("登记后阶段只能在项目页或看板上推进"))
    location = forms.CharField(label=_("建设地点"), max_length=services.MAX_NAME, required=False)
    description = forms.CharField(label=_("建设内容"), max_length=services.MAX_TEXT, error_messages=TOO_LONG, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    total_wan = MoneyField(label=_("总投资（万元）"))
    annual_plan_wan = MoneyField(label=_("年度计划投资（万元）"))
    done_total_wan = MoneyField(label=_("累计完成投资（万元）"))
    done_year_wan = MoneyField(label=_("年度完成投资（万元）"))
    sanzao = forms.BooleanField(label=_("三早项目"), required=False)
    cadence = forms.ChoiceField(label=_("调度频次"), choices=Cadence.choices, initial=Cadence.WEEKLY)
    planned_start = CnDateField(label=_("计划开工"), required=False, help_text=_("如 2026-03-01 或 2026年3月1日"))
    planned_finish = CnDateField(label=_("计划竣工"), required=False)
    in_statistics_on = CnDateField(label=_("入统时间"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=MAX_VERSION)

    def __init__(self, *args, user=None, campaign=None, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign, self.project = campaign, project
        for name in ("unit", "department"):
            self.fields[name].user = user
            self.fields[name].within = campaign.unit if campaign else None
        self.fields["pool"].queryset = Pool.objects.filter(campaign=campaign) if campaign else Pool.objects.none()
        if project is not None:
            del self.fields["stage"]  # the stage moves only on the engine (buttons, board)

    def clean(self):
        data = super().clean()
        start, finish = data.get("planned_start"), data.get("planned_finish")
        if start and finish and start > finish:
            self.add_error("planned_finish", _("计划竣工不能早于计划开工"))
        return data

    FIELDS = ("name", "seq", "pool", "unit", "leader_name", "secretary_name", "builder", "industry", "kind", "location", "description",
              "total_wan", "annual_plan_wan", "done_total_wan", "done_year_wan", "sanzao", "cadence", "planned_start", "planned_finish",
              "in_statistics_on")

    def new_project(self) -> services.NewProject:
        d = self.cleaned_data
        return services.NewProject(**{k: d[k] for k in self.FIELDS}, stage=d["stage"], department=d["department"])

    def changes(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in self.FIELDS}


def project_initial(p: Project, department) -> dict[str, Any]:
    out: dict[str, Any] = {k: getattr(p, k) for k in ProjectForm.FIELDS if k != "pool"}
    out.update(pool=p.pool_id, department=department, version=p.version)
    for k in ("planned_start", "planned_finish", "in_statistics_on"):
        out[k] = out[k].isoformat() if out[k] else ""
    return out


# ------------------------------------------------------------------ stage moves


class MoveForm(CleanTextForm, forms.Form):
    """A stage move (a button on the page, or the board's drop or its no-script form)."""

    stage = forms.ChoiceField(label=_("移至阶段"), choices=Stage.choices, required=False)
    date = CnDateField(label=_("日期"), required=False, help_text=_("开工、竣工投产的日期"))
    reason = forms.CharField(label=_("理由/说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=MAX_VERSION)


# ------------------------------------------------------------------ dispatch records


class RecordForm(CleanTextForm, forms.Form):
    day = CnDateField(label=_("调度期内日期"), required=False, help_text=_("留空为本期"))
    progress = _int(_("形象进度（%）"), 0, 100)
    invested_wan = MoneyField(label=_("本期完成投资（万元）"))
    progress_note = forms.CharField(label=_("进展情况"), max_length=services.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}),
                                    error_messages={**TOO_LONG, "required": _("请填写进展情况")})
    problems = forms.CharField(label=_("存在问题"), max_length=services.MAX_TEXT, error_messages=TOO_LONG, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_steps = forms.CharField(label=_("下步计划"), max_length=services.MAX_TEXT, error_messages=TOO_LONG, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=MAX_VERSION)


class _UnitName(forms.TextInput):
    """The unit typed by name (the picker's search offers only the units one sees)."""

    def value_from_datadict(self, data, files, name):
        return (data.get(name) or "", "")

    def format_value(self, value):
        from duban.orgs.models import OrgUnit

        if isinstance(value, OrgUnit):
            return value.name
        return value[0] if isinstance(value, (tuple, list)) else super().format_value(value)


class CampaignUnitField(UnitField):
    """Any unit of the campaign's tree: a town's 项目秘书 hands a land blocker to the county's
    自然资源局, a unit outside what the secretary sees (services.blocker_add allows it), so it
    is typed by name ("上级单位/单位名称" where names repeat)."""

    widget = _UnitName

    def _choosable(self):
        from duban.orgs.models import OrgUnit

        return OrgUnit.objects.filter(path__subtree=self.within.path) if self.within is not None else OrgUnit.objects.none()


class BlockerForm(CleanTextForm, forms.Form):
    """One 要素保障 problem raised with a record (or alone): it becomes a ledger problem."""

    kind = forms.ChoiceField(label=_("要素类型"), choices=[("", "—"), *BlockerKind.choices], required=False)
    description = forms.CharField(label=_("问题描述"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    unit = CampaignUnitField(label=_("责任单位"), required=False)
    deadline = CnDateField(label=_("解决时限"), required=False)

    def __init__(self, *args, user=None, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].user = user
        self.fields["unit"].within = campaign.unit if campaign else None

    def clean(self):
        data = super().clean()
        filled = any(data.get(k) for k in ("kind", "description", "unit", "deadline"))
        if filled:
            for k, words in (("kind", _("请选择要素类型")), ("description", _("请填写问题描述")), ("unit", _("请选择责任单位")),
                             ("deadline", _("请填写解决时限"))):
                if not data.get(k) and not self.has_error(k):
                    self.add_error(k, words)
        return data

    def blocker(self) -> services.NewBlocker | None:
        d = self.cleaned_data
        if not d or not d.get("description"):
            return None
        return services.NewBlocker(kind=d["kind"], description=d["description"], unit=d["unit"], deadline=d["deadline"])


BlockerFormSet = forms.formset_factory(BlockerForm, extra=3, max_num=10, validate_max=True)


# ------------------------------------------------------------------ nodes


class NodeForm(CleanTextForm, forms.Form):
    title = forms.CharField(label=_("节点"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=NodeKind.choices, initial=NodeKind.OTHER)
    unit = UnitField(label=_("责任单位"), required=False)
    planned_on = CnDateField(label=_("计划完成"), required=False)
    accepted_on = CnDateField(label=_("受理时间"), required=False)
    done_on = CnDateField(label=_("实际完成"), required=False)
    allowed_days = forms.IntegerField(label=_("时限（工作日）"), required=False, min_value=1, max_value=2000,
                                      error_messages={"invalid": _("请填写整数"), "min_value": _("时限须在1到2000个工作日之间"),
                                                      "max_value": _("时限须在1到2000个工作日之间")})
    note = forms.CharField(label=_("备注"), max_length=500, required=False)
    # The plan item the node stands for (洮北's 23 tasks): kept through an edit, never typed.
    plan_item_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_VERSION)

    def __init__(self, *args, user=None, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["unit"].user = user
        self.fields["unit"].within = campaign.unit if campaign else None

    def clean_plan_item_id(self):
        from duban.plan.models import PlanItem

        pk = self.cleaned_data.get("plan_item_id")
        if pk and not PlanItem.objects.filter(pk=pk, campaign=self.campaign).exists():
            raise forms.ValidationError(_("所对应的督办事项不属于本活动"))
        return pk

    def clean(self):
        data = super().clean()
        if not data.get("title") and any(data.get(k) for k in ("unit", "planned_on", "done_on", "accepted_on", "allowed_days", "note")):
            self.add_error("title", _("请填写节点名称"))
        return data


NodeFormSet = forms.formset_factory(NodeForm, extra=3, max_num=services.MAX_NODES, validate_max=True)


def node_rows(formset) -> list[services.NewNode]:
    rows = []
    for form in formset:
        d = form.cleaned_data
        if not d or not d.get("title"):
            continue
        rows.append(services.NewNode(title=d["title"], kind=d["kind"], unit=d["unit"], planned_on=d["planned_on"], done_on=d["done_on"],
                                     accepted_on=d["accepted_on"], allowed_days=d["allowed_days"], note=d["note"],
                                     plan_item_id=d.get("plan_item_id")))
    return rows


def nodes_initial(nodes) -> list[dict[str, Any]]:
    def iso(d):
        return d.isoformat() if d else ""

    return [{"title": n.title, "kind": n.kind, "unit": n.unit, "planned_on": iso(n.planned_on), "accepted_on": iso(n.accepted_on),
             "done_on": iso(n.done_on), "allowed_days": n.allowed_days, "note": n.note, "plan_item_id": n.plan_item_id} for n in nodes]


class NodeDoneForm(CleanTextForm, forms.Form):
    done_on = CnDateField(label=_("完成时间"), error_messages={"required": _("请填写完成时间")})
    accepted_on = CnDateField(label=_("受理时间"), required=False, help_text=_("审批类节点填写，用于计算实际用时"))
    note = forms.CharField(label=_("备注"), max_length=500, required=False)


# ------------------------------------------------------------------ files, rules, pools


class FileForm(forms.Form):
    file = forms.FileField(label=_("照片或文件"), error_messages={"required": _("请选择文件")})


class LightRuleForm(forms.Form):
    start_yellow_months = _int(_("计划开工当月未开工：黄灯（月）"), 0, 24, help_text=_("0 表示计划开工当月起即亮黄灯"))
    start_red_months = _int(_("计划开工后仍未开工：红灯（月）"), 1, 36)
    behind_yellow = _int(_("落后序时进度黄灯（百分点）"), 1, 100)
    behind_red = _int(_("落后序时进度红灯（百分点）"), 1, 100)
    statistics_months = _int(_("开工后未入统：黄灯（月）"), 1, 12)
    blocker_red_days = _int(_("要素问题逾期：红灯（工作日）"), 1, 250)

    def clean(self):
        data = super().clean()
        y, r = data.get("behind_yellow"), data.get("behind_red")
        if y is not None and r is not None and y >= r:
            self.add_error("behind_red", _("红灯点数须大于黄灯点数"))
        y, r = data.get("start_yellow_months"), data.get("start_red_months")
        if y is not None and r is not None and y >= r:
            self.add_error("start_red_months", _("红灯月数须大于黄灯月数"))
        return data


class PoolsForm(CleanTextForm, forms.Form):
    names = forms.CharField(label=_("项目库（每行一个，按顺序）"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 5}))

    def clean_names(self):
        names = [n.strip() for n in (self.cleaned_data.get("names") or "").splitlines() if n.strip()]
        too_long = [n for n in names if len(n) > 60]
        if too_long:
            raise forms.ValidationError(_("项目库名称不能超过60字：%(n)s") % {"n": too_long[0][:20]})
        if len(names) > services.MAX_POOLS:
            raise forms.ValidationError(_("项目库最多%(n)s个") % {"n": services.MAX_POOLS})
        return names
