"""Names and titles for the demo's people, fitting the unit they work in.

A town's problem is owned by its 镇长 or 党委书记, a village's by its 村党支部书记, a
bureau's by its 局长 — never a 村主任 at a town or a 镇长 at a county bureau. Surnames are
drawn by their rough frequency and given names from common characters, so lists read
like a real office's and a name rarely repeats.
"""

from __future__ import annotations

import random

# Every demo account's password (the README and `duban demo` print it).
DEMO_PASSWORD = "duban-demo"

# The most common surnames, most frequent first; a draw favours the head of the list.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_M = "伟强磊军勇杰涛明超辉刚健斌鹏华平飞志宇浩东亮林峰建国文海波成龙春晓新旭"
GIVEN_F = "芳娜敏静丽艳娟霞秀玲燕红梅琳莉颖洁雪慧婷倩晶萍桂兰英凤琴佳蕾宁"


def person_name(rng: random.Random) -> str:
    """One plausible Chinese name: a frequency-weighted surname and a one- or two-character given name."""
    surname = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
    pool = GIVEN_M if rng.random() < 0.55 else GIVEN_F
    given = rng.choice(pool) if rng.random() < 0.3 else rng.choice(pool) + rng.choice(pool)
    return surname + given


def titles_for(unit_name: str, unit_kind: str) -> list[str]:
    """The titles of the people who answer for a unit's work, most senior first."""
    if unit_kind == "village":
        return ["村党组织书记", "村委会主任"] if unit_name.endswith("村") else ["社区党组织书记", "社区居委会主任"]
    if unit_kind == "town":
        if unit_name.endswith("街道"):
            return ["街道党工委书记", "街道办事处主任", "街道办事处副主任"]
        head = "乡长" if unit_name.endswith("乡") else "镇长"
        return ["党委书记", head, "副" + head]
    if unit_kind in ("county", "city", "province"):
        head = {"county": "县长" if unit_name.endswith("县") else "区长", "city": "市长", "province": "省长"}[unit_kind]
        return ["副" + head]
    if unit_kind == "department":
        if "纪委" in unit_name:
            return ["书记", "副书记"]
        for suffix, head in (("室", "主任"), ("局", "局长"), ("委", "主任"), ("办", "主任"), ("中心", "主任"), ("部", "部长"), ("院", "院长"), ("所", "所长")):
            if unit_name.endswith(suffix):
                return [head, "副" + head]
        return ["负责人"]
    return ["负责人"]


def owner_for(rng: random.Random, unit_name: str, unit_kind: str) -> str:
    """The 责任人 cell an office types: "王建国（镇长）"."""
    return f"{person_name(rng)}（{rng.choice(titles_for(unit_name, unit_kind))}）"
