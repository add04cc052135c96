"""Finding a unit from a command-line argument, by the same rule spreadsheets use."""

from __future__ import annotations

from django.core.management.base import CommandError

from duban.orgs.matching import UnitMatcher
from duban.orgs.models import OrgUnit


def unit_arg(text: str) -> OrgUnit:
    """A unit by id, name, or "上级单位/单位名称"; CommandError naming the closest units."""
    text = (text or "").strip()
    if text.isdigit():
        unit = OrgUnit.objects.filter(pk=int(text)).first()
        if unit is not None:
            return unit
    found = UnitMatcher().resolve(text)
    if isinstance(found, str):
        raise CommandError(found)
    return OrgUnit.objects.get(pk=found)
