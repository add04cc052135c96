from django import forms
from django.utils.translation import gettext_lazy as _

from duban.campaigns.models import Campaign, FocusArea
from duban.core.validation import CleanTextForm, max_length_of


class CampaignForm(CleanTextForm, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "start_date", "end_date", "description", "is_active"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class FocusAreaForm(CleanTextForm, forms.Form):
    name = forms.CharField(label=_("聚焦领域"), max_length=max_length_of(FocusArea, "name"))
