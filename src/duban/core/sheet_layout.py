"""Find the table in a sheet laid out the way offices lay it out.

A 台账 or 任务分工表 as an office sends it is rarely a bare table from A1: a merged title
row ("××市问题整改台账"), a 填报单位/填报时间 line, a header of one or two levels (整改情况
over 整改措施 / 整改时限 / 整改进展), sometimes a row of column numbers under it, merged
cells over grouped rows (one 聚焦领域 for several problems), blank spacer rows, section
rows ("一、党风廉政方面"), a 合计 row and a trailing "注：…" note. This module finds the
header by the columns an importer declares (within the first rows), fills each merged
cell into the cells it covers, and sorts every other row into data or a skipped row with
its reason, so importers see plain rows numbered as the file numbers them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

HEADER_SEARCH_ROWS = 15  # the header is looked for within this many rows from the top
MAX_HEADER_ROWS = 3

_SPACE = re.compile(r"\s+")
_PARENS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_NOTE = re.compile(r"^(?:注|备注|说明|附注|填表说明|填报说明|注意事项)\s*[0-9一二三四五六七八九十]*\s*[:：.．、]")
_FILLER = re.compile(
    r"^(?:填报单位|填报人|填表人|填报时间|填报日期|填表日期|填表时间|报送单位|报送时间|报送日期|制表单位|制表人|制表时间|"
    r"审核人|审核|联系人|联系电话|单位负责人|负责人|分管领导|主要负责人|单位名称|单位|日期|时间|收集单位|收集日期|收集时间|"
    r"汇总单位|统计时间|统计日期|截止时间|截至时间|截止日期|截至日期)\s*(?:（盖章）|\(盖章\))?\s*[:：]"
)
_SECTION = re.compile(r"^(?:[一二三四五六七八九十百]+\s*[、.．]|[（(][一二三四五六七八九十百]+[)）]|第[一二三四五六七八九十百]+(?:部分|方面|类|项))")
_TOTALS = {"合计", "小计", "总计", "共计"}


@dataclass(frozen=True)
class SkippedRow:
    """A row of the file that is not data, with why (shown to people: "第1行：标题行，已跳过")."""

    row: int  # the row number the file shows (1-based)
    reason: str

    def __str__(self) -> str:
        return f"第{self.row}行：{self.reason}，已跳过"


def describe_skipped(rows: Sequence[SkippedRow], limit: int = 10) -> str:
    """One line for a summary: "已跳过 3 行（第1行 标题行、第2行 填报信息行、第9行 注释行）"."""
    if not rows:
        return ""
    shown = "、".join(f"第{r.row}行 {r.reason}" for r in rows[:limit])
    more = f" 等 {len(rows)} 行" if len(rows) > limit else ""
    return f"已跳过 {len(rows)} 行（{shown}{more}）"


def header_key(value: Any) -> str:
    """A header cell as compared: full-width folded (NFKC), no spaces or line breaks, no
    required-field stars, no trailing colon ("整 改\\n时限*：" → "整改时限")."""
    if value is None:
        return ""
    s = unicodedata.normalize("NFKC", str(value))
    s = _SPACE.sub("", s).replace("*", "").replace("★", "")
    return s.rstrip(":")


def _bare(key: str) -> str:
    """The key without notes in brackets ("整改时限(年月日)" → "整改时限")."""
    return _PARENS.sub("", key)


def _text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


@dataclass
class Found:
    """Where the header is and what it names."""

    first: int  # index of the first header row
    last: int  # index of the last header row
    names: list[str]  # per column: the lowest header text ("" for none or a covered column)
    groups: list[str]  # per column: the upper header text of a two-level header, else ""
    columns: dict[str, int]  # layout column name → column index
    required_found: int = 0
    score: tuple[int, int] = (0, 0)


@dataclass
class Located:
    found: Found
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (file row number, cells)
    skipped: list[SkippedRow] = field(default_factory=list)


class TooManyMerges(Exception):
    """Merged ranges that overlap so much that filling them would never end."""


def _merge_maps(merged: Sequence, top: int, width: int) -> tuple[dict[int, int], set[tuple[int, int]], dict[tuple[int, int], int]]:
    """For the first `top` rows: how far down a merge starting in each row reaches, the cells a
    merge covers (not its first column), and each horizontal merge's last column by its start."""
    down: dict[int, int] = {}
    covered: set[tuple[int, int]] = set()
    across: dict[tuple[int, int], int] = {}
    budget = top * width * 4
    for (r0, c0), (r1, c1) in merged:
        if r0 >= top:
            continue
        if r1 > r0:
            down[r0] = max(down.get(r0, r0), r1)
        if c1 > c0:
            for r in range(r0, min(r1, top - 1) + 1):
                across[(r, c0)] = c1
                last = min(c1, width - 1)
                budget -= max(0, last - c0)
                if budget < 0:
                    raise TooManyMerges
                covered.update((r, c) for c in range(c0 + 1, last + 1))
    return down, covered, across


def fill_merged(rows: list[list[Any]], merged: Sequence, *, from_row: int, budget: int) -> None:
    """Copy each merged range's value (its top-left cell) into the cells it covers, for ranges
    that start at or after `from_row`, clipped to the cells the sheet has. `budget` bounds the
    work: ranges that overlap beyond it raise TooManyMerges."""
    for (r0, c0), (r1, c1) in merged:
        if r0 < from_row or r0 >= len(rows):
            continue
        top = rows[r0]
        value = top[c0] if c0 < len(top) else None
        if value is None or value == "":
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            last = min(c1, len(row) - 1)
            if last < c0:
                continue
            budget -= last - c0 + 1
            if budget < 0:
                raise TooManyMerges
            row[c0 : last + 1] = [value] * (last - c0 + 1)


def _match(names: list[str], groups: list[str], layout: Sequence) -> tuple[dict[str, int], int]:
    keys: list[set[str]] = []
    for name, group in zip(names, groups, strict=True):
        k = header_key(name)
        ks = {k, _bare(k)} if k else set()
        if k and group:
            ks.add(header_key(group) + k)
        keys.append(ks - {""})
    columns: dict[str, int] = {}
    used: set[int] = set()
    required = 0
    for col in layout:
        for cand in (col.name, *col.aliases):
            ck = header_key(cand)
            idx = next((i for i, ks in enumerate(keys) if i not in used and ck in ks), None)
            if idx is not None:
                columns[col.name] = idx
                used.add(idx)
                required += col.required
                break
    return columns, required


def _block(grid: list[list[Any]], first: int, last: int, covered: set[tuple[int, int]]) -> tuple[list[str], list[str]]:
    width = max(len(grid[r]) for r in range(first, last + 1))
    names, groups = [], []
    for c in range(width):
        seen: list[tuple[int, str]] = []
        for r in range(first, last + 1):
            t = _text(grid[r][c]) if c < len(grid[r]) else ""
            if t and (not seen or seen[-1][1] != t):
                seen.append((r, t))
        if not seen:
            names.append("")
            groups.append("")
            continue
        leaf_row, leaf = seen[-1]
        names.append("" if (leaf_row, c) in covered else leaf)
        groups.append(seen[0][1] if len(seen) > 1 else "")
    return names, groups


def find_header(raw: list[list[Any]], merged: Sequence, layout: Sequence) -> Found | None:
    """The rows (one to three) within the first HEADER_SEARCH_ROWS that name most of the
    layout's columns (required ones first); None when no row names any."""
    top = min(len(raw), HEADER_SEARCH_ROWS + MAX_HEADER_ROWS)
    grid = [list(r) for r in raw[:top]]
    width = max((len(r) for r in grid), default=0)
    fill_merged(grid, merged, from_row=0, budget=top * width * 4)
    down, covered, across = _merge_maps(merged, top, width)
    continued = {r for (r0, _c0), (r1, _c1) in merged if r0 < top for r in range(r0 + 1, min(r1, top - 1) + 1)}
    best: Found | None = None
    for i in range(min(len(raw), HEADER_SEARCH_ROWS)):
        if i in continued or not any(_text(v) for v in raw[i]):
            continue  # blank, or the lower part of merged cells that start above
        j_min = min(max(i, down.get(i, i)), i + MAX_HEADER_ROWS - 1, top - 1)
        tried: list[Found] = []
        for j in range(j_min, min(j_min + 1, i + MAX_HEADER_ROWS - 1, top - 1) + 1):
            names, groups = _block(grid, i, j, covered)
            columns, required = _match(names, groups, layout)
            tried.append(Found(i, j, names, groups, columns, required, (required, len(columns))))
        pick = max(tried, key=lambda f: f.score)
        if len(tried) == 2 and j_min == i and tried[0].score == tried[1].score and _sub_header(raw, i, across):
            pick = tried[1]
        elif pick.score == tried[0].score:
            pick = tried[0]
        if not pick.columns:
            continue
        if best is None or pick.score > best.score:
            best = pick
        elif pick.score == best.score and pick.last == best.last and not _group_row(raw[best.first], best.first, across, width):
            best = pick  # the same header without a title or 填报 line above it
    return best


def _group_row(cells: list[Any], i: int, across: dict[tuple[int, int], int], width: int) -> bool:
    """True when row i looks like the upper level of a header (整改情况 over its columns),
    not a title or a 填报 line: short names, no colon, no merge across (nearly) the width."""
    values = _distinct(cells)
    if not values or any(":" in v or len(v) > 12 for v in values):
        return False
    return not any(r == i and c1 - c0 + 1 >= 0.8 * width for (r, c0), c1 in across.items())


def _sub_header(raw: list[list[Any]], i: int, across: dict[tuple[int, int], int]) -> bool:
    """True when every filled cell of row i+1 sits under a merged group cell of row i (the
    lower level of a two-level header whose names the layout does not know)."""
    if i + 1 >= len(raw):
        return False
    spans = [(c0, c1) for (r, c0), c1 in across.items() if r == i]
    cells = [c for c, v in enumerate(raw[i + 1]) if _text(v)]
    return bool(cells) and bool(spans) and all(any(c0 <= c <= c1 for c0, c1 in spans) for c in cells)


def _numbering_row(cells: list[Any]) -> bool:
    """A row of column numbers under the header: 1 2 3 … (or （1）（2）…)."""
    nums = []
    for v in cells:
        t = _text(v).strip("()（）")
        if not t:
            continue
        if not t.isdigit():
            return False
        nums.append(int(t))
    return len(nums) >= 3 and nums == list(range(nums[0], nums[0] + len(nums))) and nums[0] in (0, 1)


def _distinct(cells: list[Any], limit: int = 1 << 30) -> list[str]:
    """The row's distinct non-empty values as text, the first `limit` of them."""
    out: list[str] = []
    for v in cells:
        if v is None or v == "":
            continue
        t = v.isoformat() if isinstance(v, (dt.date, dt.datetime, dt.time)) else _text(v)
        if t and t not in out:
            out.append(t)
            if len(out) >= limit:
                break
    return out


def _first(cells: list[Any]) -> Any:
    for v in cells:
        if v is not None and v != "" and not (v.__class__ is str and v.isspace()):
            return v
    return None


def _row_kind(values: list[str], *, wide_merge: bool, in_notes: bool) -> str | None:
    """Why a row (its distinct values) is not data, or None when it is."""
    first = values[0]
    if len(values) <= 2 and _NOTE.match(first):
        return "注释行"
    if in_notes and len(values) == 1:
        return "注释行（续）"
    if len(values) <= 4 and _FILLER.match(first):
        return "填报信息行"
    if _SPACE.sub("", first) in _TOTALS:
        return "合计行"
    if len(values) == 1 and (wide_merge or _SECTION.match(first)):
        return "分组标题行"
    return None


def locate(raw: list[list[Any]], merged: Sequence, layout: Sequence, *, width: int, budget: int,
           keep_sections: bool = False) -> Located | None:
    """Find the header, fill merged ranges below it, and sort the rows below into data and
    skipped rows. None when no header row is found. Row numbers are `raw`'s index + 1.
    `keep_sections`: section rows ("一、党风廉政方面") are data, not skipped (the 任务分工表
    reads them as its aspects)."""
    found = find_header(raw, merged, layout)
    if found is None:
        return None
    out = Located(found)
    for i in range(found.first):
        values = _distinct(raw[i])
        if not values:
            continue
        if _FILLER.match(values[0]):
            reason = "填报信息行"
        elif not any(_distinct(raw[k]) for k in range(i)):
            reason = "标题行"
        else:
            reason = "表头前的说明行"
        out.skipped.append(SkippedRow(i + 1, reason))
    start = found.last + 1
    if start < len(raw) and _numbering_row(raw[start]):
        out.skipped.append(SkippedRow(start + 1, "列序号行"))
        start += 1
    wide: set[int] = set()  # rows holding a merge over more than half the header
    half = max(2, (width + 1) // 2)
    fill_merged(raw, merged, from_row=start, budget=budget)
    rows_left = budget
    for (r0, c0), (r1, c1) in merged:
        if start <= r0 < len(raw) and c1 - c0 + 1 >= half:
            span = range(r0, min(r1, len(raw) - 1) + 1)
            rows_left -= len(span)
            if rows_left < 0:
                raise TooManyMerges
            wide.update(span)
    in_notes = False
    for i in range(start, len(raw)):
        cells = raw[i][:width]
        first = _first(cells)
        if first is None:
            continue  # a blank spacer row
        if first.__class__ is not str:  # a number (序号) or a date first: data, the usual case
            in_notes = False
            out.rows.append((i + 1, cells))
            continue
        values = _distinct(cells, limit=5)  # every rule looks at the first value and up to 4 others
        kind = _row_kind(values, wide_merge=i in wide, in_notes=in_notes)
        if kind is None or (keep_sections and kind == "分组标题行"):
            in_notes = False
            out.rows.append((i + 1, cells))
            continue
        in_notes = kind.startswith("注释行")
        out.skipped.append(SkippedRow(i + 1, kind))
    return out
