"""`duban import units`: the 单位 ledger (单位名称, 上级单位, 单位类型), all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from duban.core.xlsx import (
    CellError,
    Column,
    ImportRejected,
    SkippedRow,
    Source,
    describe_skipped,
    read_table,
    require,
    text,
    write_table,
)
from duban.orgs import permissions
from duban.orgs.matching import UnitMatcher
from duban.orgs.models import OrgUnit, Role, UnitKind
from duban.orgs.scoping import visible_units
from duban.orgs.services import NewUnit, units_bulk_create

# The columns and the other names offices give them (docs/ledger.md lists the same).
UNIT_LAYOUT = [
    Column("单位名称", required=True, aliases=("名称", "单位全称", "单位", "村（社区）名称")),
    Column("上级单位", required=True, aliases=("所属上级", "上级", "上级单位名称", "隶属单位", "所属单位")),
    Column("单位类型", required=True, aliases=("类型", "单位类别")),
    Column("单位代码", aliases=("代码", "统一社会信用代码", "机构代码")),
]
NAME_MAX = OrgUnit._meta.get_field("name").max_length
CODE_MAX = OrgUnit._meta.get_field("code").max_length


@dataclass
class ImportResult:
    created: int
    rows: int
    skipped: list[SkippedRow] = field(default_factory=list)  # title, 填报, note… rows of the file, with why

    def summary(self) -> str:
        skipped = f"；{describe_skipped(self.skipped)}" if self.skipped else ""
        return f"导入完成：新建 {self.created} 个单位（共 {self.rows} 行）{skipped}"


def units_import(*, actor, source: Source, max_bytes: int | None = None, root: OrgUnit | None = None, skip_checks: bool = False) -> ImportResult:
    """Create the units of the file, parents before children; refuse the whole file on any error.

    A parent is an existing unit (matched by name, or "上级/名称" where a name repeats) or
    another row of the same file. An empty 上级单位 makes a top-level unit, allowed only
    where no `root` restricts the import to a subtree.

    A person (`actor` a user) names parents among the units they see, must be office over
    each existing parent (a row under another row inherits that row's check) and only a
    superuser makes top-level units. The system (a SystemActor with `skip_checks=True`,
    the CLI's) is not restricted.
    """
    person = actor if permissions.checked(actor, skip_checks) else None
    table = read_table(source, UNIT_LAYOUT, max_bytes=max_bytes)
    if root is not None:
        matcher = UnitMatcher(root.subtree())
    else:
        matcher = UnitMatcher(visible_units(person) if person is not None else None)
    office: dict[int, bool] = {}
    errors: list[CellError] = []
    in_file: dict[str, int] = {}  # name → first row in the file
    seen_pairs: dict[tuple[str, str], int] = {}
    parsed: list[tuple[int, str, str, str, str]] = []
    for rownum, cells in table.rows:
        name = text(require(table, cells, rownum, "单位名称", errors))
        parent = text(table.get(cells, "上级单位"))
        kind_text = text(require(table, cells, rownum, "单位类型", errors))
        code = text(table.get(cells, "单位代码"))
        kind = UnitKind.from_label(kind_text) if kind_text else None
        if kind_text and kind is None:
            errors.append(CellError(rownum, "单位类型", f"未知单位类型“{kind_text}”；可用：{'、'.join(str(c.label) for c in UnitKind)}"))
        if len(name) > NAME_MAX:
            errors.append(CellError(rownum, "单位名称", f"超过 {NAME_MAX} 字"))
            continue
        if len(code) > CODE_MAX:
            errors.append(CellError(rownum, "单位代码", f"超过 {CODE_MAX} 字"))
        if not name:
            continue
        pair = (parent, name)
        if pair in seen_pairs:
            errors.append(CellError(rownum, "单位名称", f"与第{seen_pairs[pair]}行重复：“{parent or '顶层'}”下已有“{name}”"))
            continue
        seen_pairs[pair] = rownum
        in_file.setdefault(name, rownum)
        parsed.append((rownum, name, parent, kind or UnitKind.OTHER, code))

    new_units: list[NewUnit] = []
    for rownum, name, parent, kind, code in parsed:
        parent_key, parent_id = None, None
        if not parent:
            if root is not None or (person is not None and not person.is_superuser):
                errors.append(CellError(rownum, "上级单位", "上级单位不能为空（只有系统管理员可以新建顶层单位）"))
                continue
        elif parent in in_file and parent != name:
            parent_key = parent
        else:
            resolved = matcher.resolve(parent)
            if isinstance(resolved, str):
                errors.append(CellError(rownum, "上级单位", resolved.replace("未知单位", "未知上级单位")))
                continue
            parent_id = resolved
            if person is not None:
                if parent_id not in office:
                    office[parent_id] = permissions.may_act_for(person, OrgUnit.objects.only("id", "path").get(pk=parent_id), Role.OFFICE)
                if not office[parent_id]:
                    errors.append(CellError(rownum, "上级单位", f"您不是“{parent}”或其上级单位的推进办，不能在其下新建单位"))
                    continue
        if parent_id is not None and OrgUnit.objects.filter(parent_id=parent_id, name=name).exists():
            errors.append(CellError(rownum, "单位名称", f"“{parent}”下已有同名单位“{name}”"))
            continue
        if parent_key is None and parent_id is None and OrgUnit.objects.filter(parent__isnull=True, name=name).exists():
            errors.append(CellError(rownum, "单位名称", f"已有同名顶层单位“{name}”"))
            continue
        new_units.append(NewUnit(name=name, kind=kind, parent_key=parent_key, parent_id=parent_id, code=code, key=name))
    if not errors:
        keys = {u.key for u in new_units}
        for u in new_units:
            if u.parent_key and u.parent_key not in keys:
                errors.append(CellError(in_file.get(u.name, 0), "上级单位", f"上级单位“{u.parent_key}”这一行有错误"))
        if _has_cycle(new_units):
            errors.append(CellError(0, "上级单位", "表中的上级单位关系构成循环"))
    if errors:
        raise ImportRejected(errors)
    created = units_bulk_create(actor=actor, units=new_units, note="导入单位")
    return ImportResult(created=len(created), rows=len(table.rows), skipped=table.skipped)


def _has_cycle(units: list[NewUnit]) -> bool:
    parent_of = {u.key: u.parent_key for u in units}
    for start in parent_of:
        seen = set()
        cur = start
        while cur is not None:
            if cur in seen:
                return True
            seen.add(cur)
            cur = parent_of.get(cur)
    return False


def units_export(target, units) -> int:
    rows = ((u.name, u.parent.name if u.parent_id else "", u.get_kind_display(), u.code) for u in units.select_related("parent"))
    return write_table(target, ["单位名称", "上级单位", "单位类型", "单位代码"], rows, sheet="单位")


def units_export_cli(*, out: str, campaign_id: int | None = None) -> int:
    return units_export(out, OrgUnit.objects.order_by("path"))
