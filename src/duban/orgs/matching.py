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
        parts = [text]
        for sep in SEPARATORS:
            if sep in text:
                parts = [p.strip() for p in text.split(sep) if p.strip()]
                break
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
