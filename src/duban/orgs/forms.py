from django import forms

from duban.orgs.models import UnitKind


class UnitForm(forms.Form):
    name = forms.CharField(label="单位名称", max_length=120)
    kind = forms.ChoiceField(label="单位类型", choices=UnitKind.choices)
    code = forms.CharField(label="单位代码", max_length=40, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")
