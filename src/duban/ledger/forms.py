"""Forms of the ledger pages. They only parse input; services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.core.dates import DateParseError, parse_date
from duban.core.validation import CleanTextForm, check_text, max_length_of
from duban.ledger.models import MAX_VERSION, Kind, Problem, Source
from duban.orgs.forms import UnitField


class CnDateField(forms.CharField):
    """A date as offices type it (2022-03-31, 2022/3/31, 2022年3月31日, 2022.3.31)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        check_text(value, 40)
        try:
            return parse_date(value)
        except DateParseError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ProblemForm(CleanTextForm, forms.Form):
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    focus_area = forms.ModelChoiceField(label=_("聚焦领域"), queryset=None, required=False)
    source = forms.ChoiceField(label=_("问题来源"), choices=Source.choices, initial=Source.SELF_CHECK)
    unit = UnitField(label=_("责任单位"), help_text=_("输入名称后从列表中选择；也可直接写“上级单位/单位名称”"))
    owner = forms.CharField(label=_("责任人"), required=False, max_length=max_length_of(Problem, "owner"))
    supervisor = UnitField(label=_("督办单位"), required=False, help_text=_("留空则由活动牵头单位（推进办）督办"))
    measures = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    deadline = CnDateField(label=_("整改时限"), required=False, help_text=_("如 2022-03-31 或 2022年3月31日"))
    kind = forms.ChoiceField(label=_("整改类型"), choices=Kind.choices, initial=Kind.DEADLINE)

    def __init__(self, *args, user=None, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].user = user
        self.fields["supervisor"].user = user
        from duban.campaigns.queries import focus_areas

        self.fields["focus_area"].queryset = focus_areas(campaign)

    def clean(self):
        data = super().clean()
        if data.get("kind") == Kind.DEADLINE and not data.get("deadline") and not self.has_error("deadline"):
            self.add_error("deadline", _("限期整改的问题需要整改时限"))
        return data


class ProblemEditForm(ProblemForm):
    """The edit form: only the fields this user may change. It carries what the editor
    loaded — each field's value (hidden initial) and the problem's version — so the view
    saves only what the editor changed and a save from an outdated form is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=MAX_VERSION)

    def __init__(self, *args, editable=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in [n for n in self.fields if n != "version"]:
            if name in editable:
                self.fields[name].show_hidden_initial = True
            else:
                del self.fields[name]


def problem_initial(user, problem) -> dict:
    """The edit form's values for a problem, as the form reads them back."""
    return {
        "description": problem.description, "focus_area": problem.focus_area_id, "source": problem.source,
        "unit": problem.unit, "owner": problem.owner, "supervisor": problem.supervisor,
        "measures": problem.measures, "deadline": problem.deadline.isoformat() if problem.deadline else "", "kind": problem.kind,
        "version": problem.version,
    }


class TransitionForm(CleanTextForm, forms.Form):
    reason = forms.CharField(label=_("理由/说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    date = CnDateField(label=_("延期至"), required=False)


class NoteForm(CleanTextForm, forms.Form):
    note = forms.CharField(label=_("整改进展"), widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("佐证材料"))


class BulkForm(CleanTextForm, forms.Form):
    action = forms.ChoiceField(choices=[("assign", _("批量交办")), ("extend", _("批量延期"))])
    ids = forms.CharField(widget=forms.HiddenInput, required=False)
    unit = UnitField(label=_("责任单位"), required=False)
    owner = forms.CharField(label=_("责任人"), required=False, max_length=max_length_of(Problem, "owner"))
    deadline = CnDateField(label=_("新时限"), required=False)
    reason = forms.CharField(label=_("理由"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].user = user

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("unit") and not self.has_error("unit"):
            self.add_error("unit", _("请填写责任单位"))
        if data.get("action") == "extend":
            if not data.get("deadline") and not self.has_error("deadline"):
                self.add_error("deadline", _("请填写新时限"))
            if not data.get("reason"):
                self.add_error("reason", _("请填写理由"))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("台账文件（.xlsx、.xls、.et、.ods）"))
    override = forms.BooleanField(
        required=False, label=_("推进办更正：允许不按流程改状态（仅限督办单位，不能是责任单位本身；逐条记入审计）"),
    )
