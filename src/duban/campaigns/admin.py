from django.contrib import admin

from duban.campaigns.models import Campaign, FocusArea
from duban.core.admin_readonly import ReadOnlyAdmin


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "unit", "start_date", "end_date", "is_active")


@admin.register(FocusArea)
class FocusAreaAdmin(ReadOnlyAdmin):
    list_display = ("name", "campaign", "position")
