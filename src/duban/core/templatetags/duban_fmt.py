"""Template filters for numbers and dates the Chinese official way."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from duban.core import numbers

register = template.Library()


def _english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def cn_count(value, unit: str = "") -> str:
    """27万余条 in Chinese; 270,123 in English (the Chinese measure word is dropped)."""
    if _english():
        return "—" if value is None else f"{int(value):,}"
    return numbers.cn_count(value, unit)


@register.filter
def cn_money(value) -> str:
    """221亿元 in Chinese; ¥22.1 billion in English (the value is held in 万元)."""
    if _english():
        return numbers.en_money_wan(value)
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


@register.simple_tag
def punct(mark: str) -> str:
    """Chinese punctuation between translated pieces ("{% translate '状态' %}{% punct '：' %}"):
    as written in Chinese, its English form under the English switch."""
    from duban.core.punct import punct as _punct

    return _punct(mark)
