"""The demo org tree: a district like 洮北 or a city like 临汾 (or ten of them)."""

from __future__ import annotations

from duban.demo.context import DemoContext
from duban.orgs.models import OrgUnit, UnitKind
from duban.orgs.services import NewUnit, units_bulk_create

TAOBEI_TOWNS = ["平安镇", "洮河镇", "青山镇", "林海镇", "到保镇", "岭下镇", "东风乡", "德顺蒙古族乡", "三合乡", "金祥乡", "新华街道", "铁东街道", "长庆街道", "明仁街道"]
DEPARTMENTS = ["区委办公室", "区政府办公室", "区委组织部", "区委宣传部", "区纪委监委", "区发展和改革局", "区工业和信息化局", "区财政局", "区住房和城乡建设局", "区交通运输局", "区农业农村局", "区水利局", "区商务局", "区教育局", "区卫生健康局", "区人力资源和社会保障局", "区民政局", "区市场监督管理局", "区应急管理局", "区营商环境建设局", "区信访局", "区城市管理执法局", "区自然资源局", "区生态环境分局"]
LINFEN_COUNTIES = ["尧都区", "曲沃县", "翼城县", "襄汾县", "洪洞县", "古县", "安泽县", "浮山县", "吉县", "乡宁县", "大宁县", "隰县", "永和县", "蒲县", "汾西县", "侯马市", "霍州市"]
CITIES = ["临汾市", "太原市", "大同市", "阳泉市", "长治市", "晋城市", "朔州市", "晋中市", "运城市", "忻州市"]
SYLLABLES = "东西南北前后上下大小新老高长红青安平和兴富康乐福永宁丰太明光金银石河山林泉沟岭庄堡营屯湾坡源桥"
TOWN_SUFFIX = ["镇", "乡", "街道"]


def _village_names(rng, n: int) -> list[str]:
    names: list[str] = []
    seen = set()
    while len(names) < n:
        name = rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + ("社区" if rng.random() < 0.12 else "村")
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _town_names(rng, n: int, fixed: list[str] | None = None) -> list[str]:
    names = list(fixed or [])[:n]
    seen = set(names)
    while len(names) < n:
        name = rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(TOWN_SUFFIX)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def build(ctx: DemoContext) -> None:
    rng, s = ctx.rng, ctx.scale
    units: list[NewUnit] = []

    def add(key: str, name: str, kind: str, parent_key: str | None) -> None:
        units.append(NewUnit(name=name, kind=kind, parent_key=parent_key, parent_id=None, key=key))

    def county_tree(ckey: str, towns: list[str], dept_prefix: str) -> None:
        for d in DEPARTMENTS[: s.departments]:
            add(f"{ckey}/{d}", d.replace("区", dept_prefix, 1), UnitKind.DEPARTMENT, ckey)
        for t in towns:
            tkey = f"{ckey}/{t}"
            add(tkey, t, UnitKind.TOWN, ckey)
        per_town = _split(s.villages_per_county, len(towns), rng)
        for t, n in zip(towns, per_town, strict=True):
            for v in _village_names(rng, n):
                add(f"{ckey}/{t}/{v}", v, UnitKind.VILLAGE, f"{ckey}/{t}")

    if s.name == "district":
        add("洮北区", "洮北区", UnitKind.COUNTY, None)
        county_tree("洮北区", _town_names(rng, s.towns_per_county, TAOBEI_TOWNS), "区")
    else:
        top = "山西省" if s.cities > 1 else None
        if top:
            add(top, top, UnitKind.PROVINCE, None)
        for city in CITIES[: s.cities]:
            add(city, city, UnitKind.CITY, top)
            for d in DEPARTMENTS[: s.departments]:
                add(f"{city}/{d}", d.replace("区", "市", 1), UnitKind.DEPARTMENT, city)
            counties = LINFEN_COUNTIES if city == "临汾市" else _town_names(rng, s.counties, None)
            for county in [c if c.endswith(("县", "区", "市")) else c[:-1] + "县" for c in counties[: s.counties]]:
                ckey = f"{city}/{county}"
                add(ckey, county, UnitKind.COUNTY, city)
                county_tree(ckey, _town_names(rng, s.towns_per_county), "县" if county.endswith("县") else "区")
    created = units_bulk_create(actor=ctx.actor, units=units, note="演示数据")
    by_kind: dict[str, list[OrgUnit]] = {}
    for u in created:
        by_kind.setdefault(u.kind, []).append(u)
    ctx.root = next(u for u in created if u.parent_id is None)
    ctx.counties = by_kind.get(UnitKind.COUNTY, [])
    ctx.towns = by_kind.get(UnitKind.TOWN, [])
    ctx.villages = by_kind.get(UnitKind.VILLAGE, [])
    ctx.departments = by_kind.get(UnitKind.DEPARTMENT, [])
    ctx.notes.append(f"单位 {len(created)} 个：{len(ctx.counties)} 个县区、{len(ctx.towns)} 个乡镇街道、{len(ctx.villages)} 个村社区、{len(ctx.departments)} 个部门")


def _split(total: int, parts: int, rng) -> list[int]:
    """Split `total` into `parts` uneven but positive shares (deterministic given rng)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = total / sum(weights)
    shares = [max(1, int(w * scale)) for w in weights]
    shares[-1] += total - sum(shares)
    return shares
