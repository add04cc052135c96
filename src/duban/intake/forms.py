from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from duban.core.validation import CleanTextForm, max_length_of
from duban.core.widgets import QuickSelect
from duban.intake.models import Channel, Kind, Rating, Suggestion
from duban.intake.services import MAX_BODY, MAX_PHOTOS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class PublicSubmitForm(CleanTextForm, forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices, initial=Kind.SUGGESTION, widget=forms.RadioSelect)
    title = forms.CharField(label=_("主题"), max_length=max_length_of(Suggestion, "title"), required=False, widget=forms.TextInput(attrs={"placeholder": _("一句话说明（可不填）")}))
    body = forms.CharField(label=_("内容"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("请写明事情经过、地点和您的诉求")}))
    place = forms.CharField(label=_("地点或单位"), max_length=max_length_of(Suggestion, "place"), required=False, widget=forms.TextInput(attrs={"placeholder": _("如：平安镇一村、区财政局（可不填）")}))
    place_unit = forms.TypedChoiceField(label=_("所属乡镇或部门"), required=False, coerce=int, empty_value=None, choices=[], widget=QuickSelect)
    contact_name = forms.CharField(label=_("姓名"), max_length=max_length_of(Suggestion, "contact_name"), required=False)
    contact_phone = forms.CharField(label=_("电话"), max_length=max_length_of(Suggestion, "contact_phone"), required=False, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    photos = MultipleFileField(label=format_lazy(_("照片（最多 {n} 张）"), n=MAX_PHOTOS), required=False)
    # The honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(required=False, label=_("网址"), widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place_unit"].choices = [("", _("不清楚 / 不填"))] + [(u.pk, u.name) for u in units]


class RatingForm(CleanTextForm, forms.Form):
    rating = forms.ChoiceField(label=_("您对答复是否满意"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("评价意见"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class LookupForm(CleanTextForm, forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=40)


class HotlineForm(CleanTextForm, forms.Form):
    channel = forms.ChoiceField(label=_("渠道"), choices=[c for c in Channel.choices if c[0] != Channel.WEB], initial=Channel.HOTLINE)
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices, initial=Kind.ISSUE)
    submitted_at = forms.DateTimeField(label=_("来电/收到时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    title = forms.CharField(label=_("留言主题"), max_length=max_length_of(Suggestion, "title"), required=False)
    body = forms.CharField(label=_("留言详情"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 6}))
    place = forms.CharField(label=_("地点或单位"), max_length=max_length_of(Suggestion, "place"), required=False)
    place_unit = forms.TypedChoiceField(label=_("所属单位"), required=False, coerce=int, empty_value=None, choices=[], widget=QuickSelect)
    contact_name = forms.CharField(label=_("联系人"), max_length=max_length_of(Suggestion, "contact_name"), required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=max_length_of(Suggestion, "contact_phone"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place_unit"].choices = [("", "—")] + [(u.pk, u.name) for u in units]


class ReplyForm(CleanTextForm, forms.Form):
    reply = forms.CharField(label=_("答复意见"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 6}))


class CallbackForm(CleanTextForm, forms.Form):
    """电话回访: what the office heard on the phone."""

    result = forms.ChoiceField(label=_("回访结果"), choices=Rating.choices, widget=forms.RadioSelect,
                               error_messages={"required": _("请选择回访结果：满意、基本满意或不满意"), "invalid_choice": _("回访结果只能是满意、基本满意或不满意")})
    caller = forms.CharField(label=_("回访人"), max_length=60, required=False, widget=forms.TextInput(attrs={"placeholder": _("默认为本人")}))
    called_at = forms.DateTimeField(label=_("回访时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                    error_messages={"invalid": _("回访时间格式不正确")})
    note = forms.CharField(label=_("回访记录"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class StepForm(CleanTextForm, forms.Form):
    """A plain workflow step (核查、查结、转办、办结): a reason or result, and where to for 转办."""

    reason = forms.CharField(label=_("说明"), max_length=MAX_BODY, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    transferred_to = forms.CharField(label=_("转办至"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx、.xls、.et、.ods）"))


def add_errors(form, exc) -> None:
    """Put a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for name, errs in exc.error_dict.items():
            for e in errs:
                for m in e.messages:
                    form.add_error(name if name in form.fields else None, m)
    else:
        for m in exc.messages:
            form.add_error(None, m)
