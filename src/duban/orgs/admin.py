from django.contrib import admin

from duban.core.admin_readonly import ReadOnlyAdmin
from duban.orgs.models import ApiToken, Membership, OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "parent", "depth", "code")
    list_filter = ("kind", "depth")
    search_fields = ("name", "code")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "unit", "role", "title")
    list_filter = ("role",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "label", "created_at", "last_used_at", "expires_at", "revoked")
    exclude = ("digest",)
