from django import forms
from django.utils.translation import gettext_lazy as _

from duban.campaigns.models import Campaign, FocusArea
from duban.core.validation import CleanTextForm, max_length_of


class CampaignForm(CleanTextForm, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "start_date", "end_date", "description", "is_active"]
        widgets = {
            # <input type="date"> takes ISO dates only, whatever the display locale says.
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class FocusAreaForm(CleanTextForm, forms.Form):
    name = forms.CharField(label=_("聚焦领域"), max_length=max_length_of(FocusArea, "name"))
