"""Template filters for numbers and dates the Chinese official way."""

from __future__ import annotations

from django import template

from duban.core import numbers

register = template.Library()


@register.filter
def cn_count(value, unit: str = "") -> str:
    return numbers.cn_count(value, unit)


@register.filter
def cn_money(value) -> str:
    return numbers.cn_money_wan(value)


@register.filter
def cn_percent(value) -> str:
    return numbers.cn_percent(value)


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
