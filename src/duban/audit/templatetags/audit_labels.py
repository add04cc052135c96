"""Show audited field names as their verbose names (名称, not name)."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

register = template.Library()


@register.filter
def field_label(name: str, object_type: str) -> str:
    try:
        model = apps.get_model(object_type)
        return str(model._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, AttributeError, FieldDoesNotExist):
        return name
