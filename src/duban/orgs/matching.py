"""Matching unit names typed in spreadsheets to the org tree.

A unit is named by its name ("东风镇"), or by a path when the name is not unique
("东风镇/新华村"). An unknown name is an error that offers the closest existing names.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from duban.orgs.models import OrgUnit

SEPARATORS = ("/", "／", ">", "－")


def split_label(text: str) -> list[str]:
    """"平安镇/一村" → ["平安镇", "一村"]: a unit's name after the names of its ancestors."""
    text = (text or "").strip()
    for sep in SEPARATORS:
        if sep in text:
            return [p.strip() for p in text.split(sep) if p.strip()]
    return [text] if text else []


def resolve_in(units: QuerySet[OrgUnit], text: str) -> OrgUnit | str:
    """The one unit among `units` that `text` names ("一村" or "平安镇/一村"), or an error in
    Chinese with the closest names — the same answers as `UnitMatcher.resolve`, but from
    a few indexed queries instead of loading every unit (a form at province scale).
    """
    parts = split_label(text)
    if not parts:
        return "单位不能为空"
    name, parents = parts[-1], parts[:-1]
    candidates = list(units.filter(name=name).order_by("path")[:200])
    if parents and candidates:
        ids = {int(s) for c in candidates for s in c.path.split(".") if s}
        names = dict(OrgUnit.objects.filter(pk__in=ids).values_list("id", "name"))
        chain = {c.pk: [names.get(int(s), "") for s in c.path.split(".") if s][:-1] for c in candidates}
        candidates = [c for c in candidates if all(p in chain[c.pk] for p in parents)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        # Near names from a bounded sample: units sharing the name's first characters.
        sample = set(units.filter(name__contains=name[:2]).values_list("name", flat=True)[:500]) if name else set()
        near = difflib.get_close_matches(name, sorted(sample), n=3, cutoff=0.4)
        hint = f"；最接近的单位：{'、'.join(near)}" if near else ""
        return f"未知单位“{text}”{hint}"
    parent_names = dict(OrgUnit.objects.filter(pk__in={c.parent_id for c in candidates[:5] if c.parent_id}).values_list("id", "name"))
    options = "、".join(f"{parent_names[c.parent_id]}/{c.name}" if c.parent_id in parent_names else c.name for c in candidates[:5])
    return f"单位“{text}”不唯一（{options}），请写成“上级单位/单位名称”"


@dataclass
class UnitRef:
    id: int
    name: str
    parent_id: int | None
    path: str


class UnitMatcher:
    def __init__(self, units: QuerySet[OrgUnit] | None = None):
        qs = units if units is not None else OrgUnit.objects.all()
        self.by_id: dict[int, UnitRef] = {}
        self.by_name: dict[str, list[UnitRef]] = defaultdict(list)
        for pk, name, parent_id, path in qs.values_list("id", "name", "parent_id", "path").iterator(chunk_size=5000):
            ref = UnitRef(pk, name, parent_id, path)
            self.by_id[pk] = ref
            self.by_name[name].append(ref)
        self._cache: dict[str, int | str] = {}

    def add(self, ref: UnitRef) -> None:
        self.by_id[ref.id] = ref
        self.by_name[ref.name].append(ref)
        self._cache.clear()

    def label(self, ref: UnitRef) -> str:
        parent = self.by_id.get(ref.parent_id) if ref.parent_id else None
        return f"{parent.name}/{ref.name}" if parent else ref.name

    def closest(self, name: str, n: int = 3) -> list[str]:
        return difflib.get_close_matches(name, list(self.by_name), n=n, cutoff=0.4)

    def resolve(self, text: str) -> int | str:
        """The unit id, or an error message in Chinese."""
        text = (text or "").strip()
        if text in self._cache:
            return self._cache[text]
        result = self._resolve(text)
        self._cache[text] = result
        return result

    def _resolve(self, text: str) -> int | str:
        if not text:
            return "单位不能为空"
        parts = split_label(text)
        name = parts[-1]
        candidates = self.by_name.get(name, [])
        if len(parts) > 1:
            parent_names = parts[:-1]
            candidates = [c for c in candidates if self._has_ancestors(c, parent_names)]
        if len(candidates) == 1:
            return candidates[0].id
        if not candidates:
            near = self.closest(name)
            hint = f"；最接近的单位：{'、'.join(near)}" if near else ""
            return f"未知单位“{text}”{hint}"
        options = "、".join(self.label(c) for c in candidates[:5])
        return f"单位“{text}”不唯一（{options}），请写成“上级单位/单位名称”"

    def _has_ancestors(self, ref: UnitRef, names: list[str]) -> bool:
        chain = []
        cur = self.by_id.get(ref.parent_id) if ref.parent_id else None
        while cur:
            chain.append(cur.name)
            cur = self.by_id.get(cur.parent_id) if cur.parent_id else None
        return all(n in chain for n in names)
