"""Ledger fixtures: a few problems in 平安镇 (town_a) and 洮河镇 (town_b)."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.actors import SystemActor
from duban.ledger.demo import tiny_png


@pytest.fixture
def png():
    return tiny_png()


@pytest.fixture
def make_problem(campaign, tree):
    from duban.ledger.services import problem_create

    def make(unit=None, description="冬季供暖温度不达标，群众投诉较多", **kw):
        kw.setdefault("deadline", dt.date.today() + dt.timedelta(days=30))
        return problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description=description, unit=unit or tree["village_a1"], **kw)

    return make


@pytest.fixture
def problem_a(make_problem, tree):
    """A problem of 一村 (under 平安镇, liaison_a's town)."""
    return make_problem(tree["village_a1"], description="一村垃圾清运不及时，人居环境脏乱差")


@pytest.fixture
def problem_b(make_problem, tree):
    """A problem of 三村 (under 洮河镇, liaison_b's town)."""
    return make_problem(tree["village_b1"], description="三村饮水安全保障不稳定，管网老化")
