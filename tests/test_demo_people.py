"""Demo people have names, and titles that fit the unit they answer for."""

from __future__ import annotations

import random

import pytest

from duban.demo.people import owner_for, person_name, titles_for


@pytest.mark.parametrize(("name", "kind", "fits", "never"), [
    ("平安镇", "town", {"党委书记", "镇长", "副镇长"}, {"村委会主任", "局长"}),
    ("胜利乡", "town", {"党委书记", "乡长", "副乡长"}, {"镇长"}),
    ("新华街道", "town", {"街道党工委书记", "街道办事处主任", "街道办事处副主任"}, {"镇长"}),
    ("一心村", "village", {"村党组织书记", "村委会主任"}, {"镇长"}),
    ("铁东社区", "village", {"社区党组织书记", "社区居委会主任"}, {"村委会主任"}),
    ("区财政局", "department", {"局长", "副局长"}, {"镇长", "村委会主任"}),
    ("区委办公室", "department", {"主任", "副主任"}, {"局长"}),
    ("区纪委监委", "department", {"书记", "副书记"}, {"主任"}),
])
def test_titles_fit_the_unit(name, kind, fits, never):
    titles = set(titles_for(name, kind))
    assert titles == fits and not titles & never


def test_names_look_like_names_and_rarely_repeat():
    rng = random.Random(7)
    names = [person_name(rng) for _ in range(500)]
    assert all(2 <= len(n) <= 3 for n in names)
    assert len(set(names)) > 400
    assert owner_for(random.Random(1), "平安镇", "town").endswith(("（党委书记）", "（镇长）", "（副镇长）"))


@pytest.mark.django_db
def test_district_demo_owners_and_accounts(django_db_blocker):
    from duban.demo.build import build_demo
    from duban.ledger.models import Problem
    from duban.orgs.models import Membership

    build_demo("district", seed=20211109)
    # A project's blocker (要素保障) is registered by the project desk, not owned by a person yet.
    for p in Problem.objects.select_related("unit").exclude(source="project"):
        title = p.owner.split("（")[1].rstrip("）")
        assert title in titles_for(p.unit.name, p.unit.kind), (p.unit.name, p.owner)
    admin = Membership.objects.select_related("user").get(user__username="admin")
    assert admin.user.get_full_name() == "张晓燕" and "推进办" in admin.title
