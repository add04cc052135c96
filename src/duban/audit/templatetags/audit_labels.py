"""Audit rows in words: field names as their verbose names (名称, not name), verbs and
values through `duban.audit.labels`."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from duban.audit import labels

register = template.Library()


@register.filter
def field_label(name: str, object_type: str) -> str:
    try:
        model = apps.get_model(object_type)
        return str(model._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, AttributeError, FieldDoesNotExist):
        return labels.term_label(name)


@register.filter
def verb_label(verb: str) -> str:
    return labels.verb_label(verb)


@register.filter
def audit_value(value) -> str:
    return labels.value_text(value)


@register.filter
def change_rows(changes, object_type: str) -> list[tuple[str, str, str]]:
    """(field label, before, after) for the changes a person would see as changes: a field
    going from nothing to empty reads "— → —" and is left out."""
    rows = []
    for name, pair in (changes or {}).items():
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        before_text, after_text = labels.value_text(before), labels.value_text(after)
        if before_text != after_text:
            rows.append((field_label(name, object_type), before_text, after_text))
    return rows
