from django.contrib import admin

from duban.audit.models import AuditEvent
from duban.core.admin_readonly import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "verb", "object_type", "object_repr", "action_id")
    list_filter = ("verb", "object_type")
    search_fields = ("object_repr", "actor_name")
