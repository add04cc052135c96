"""Words for the trail: what a verb such as `problem.sign_off` is called on screen, what a
key inside a recorded change means, and how a recorded value reads.

The audit app knows no feature: each app lists its own verbs and terms on its AppConfig
(`audit_verbs`, `audit_terms`: a dict, or a method returning one), and this module merges
them. A verb nobody labelled still reads as words (its object and a generic action), never
as the code.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

GENERIC_ACTIONS = {
    "create": gettext_lazy("新建"), "update": gettext_lazy("修改"), "delete": gettext_lazy("删除"),
    "revoke": gettext_lazy("撤销"), "set": gettext_lazy("设置"), "bulk_create": gettext_lazy("批量导入"),
    "import_update": gettext_lazy("导入更新"), "run": gettext_lazy("运行"), "train": gettext_lazy("训练"),
}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
MAX_VALUE_CHARS = 200


def _contributed(attr: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for config in apps.get_app_configs():
        found = getattr(config, attr, None)
        if callable(found):
            found = found()
        merged.update(found or {})
    return merged


@lru_cache(maxsize=1)
def _verbs() -> dict[str, Any]:
    return _contributed("audit_verbs")


@lru_cache(maxsize=1)
def _terms() -> dict[str, Any]:
    return _contributed("audit_terms")


def _object_label(prefix: str) -> str:
    for model in apps.get_models():
        if model._meta.model_name == prefix:
            return str(model._meta.verbose_name)
    return _("记录")


def verb_label(verb: str) -> str:
    """`problem.sign_off` → 销号; an unlabelled `thing.create` → 新建＋its model's name."""
    if verb in _verbs():
        return str(_verbs()[verb])
    prefix, _dot, action = verb.partition(".")
    return f"{GENERIC_ACTIONS.get(action, _('操作'))}{_object_label(prefix)}"


def term_label(key: str) -> str:
    return str(_terms().get(key, key))


def value_text(value: Any) -> str:
    """A recorded value as a person reads it: 是/否, local time, rounded figures, no braces."""
    text = _value(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return "；".join(f"{term_label(str(k))}：{_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "、".join(_value(v) for v in value)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        parsed = parse_datetime(value)
        if parsed is not None:
            if timezone.is_aware(parsed):
                parsed = timezone.localtime(parsed)  # stored in UTC, read in Beijing time
            return parsed.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def verb_choices(verbs: list[str]) -> list[tuple[str, str]]:
    """(verb, label) for a filter's options, sorted by label."""
    return sorted(((v, verb_label(v)) for v in verbs), key=lambda pair: pair[1])
