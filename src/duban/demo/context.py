from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from duban.core.actors import DEMO

CAMPAIGN_START = dt.date(2021, 11, 9)
CAMPAIGN_END = dt.date(2022, 6, 30)


@dataclass
class Scale:
    name: str
    counties: int  # 0 for a district demo (the root is the district itself)
    towns_per_county: int
    villages_per_county: int
    departments: int
    cities: int = 1
    problems: int = 36
    suggestions: int = 611
    projects: int = 37


SCALES = {
    # 洮北: one district, 12 towns/streets, 148 villages, ~20 departments, 36 problems, 611 clues.
    "district": Scale("district", counties=0, towns_per_county=12, villages_per_county=148, departments=20, problems=36, suggestions=611, projects=37),
    # 临汾: 17 counties, ~11,100 units, 270,000+ problems, 53,000+ suggestions, 1,031 projects.
    "city": Scale("city", counties=17, towns_per_county=14, villages_per_county=616, departments=24, problems=270_600, suggestions=53_400, projects=1031),
    # A province: ten cities of that shape.
    "province": Scale("province", counties=17, towns_per_county=14, villages_per_county=616, departments=24, cities=10, problems=2_706_000, suggestions=534_000, projects=10_310),
}


@dataclass
class DemoContext:
    scale: Scale
    rng: random.Random
    actor: Any = DEMO  # a SystemActor: the builders pass skip_checks=True where a service checks
    today: dt.date = field(default_factory=dt.date.today)
    root: Any = None
    counties: list = field(default_factory=list)
    towns: list = field(default_factory=list)
    villages: list = field(default_factory=list)
    departments: list = field(default_factory=list)
    campaign: Any = None
    focus_areas: list = field(default_factory=list)
    users: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # lines printed after the build
    extra: dict = field(default_factory=dict)  # builders leave things for later builders
