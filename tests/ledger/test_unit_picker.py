"""The unit picker (issue 9 item 12): a search endpoint scoped like every read, a form field
that checks the chosen id inside the user's scope without loading the visible tree, the
typed-name fallback, and the API taking a unit by id or by name."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.core.actors import SystemActor
from duban.ledger.models import Problem


def _search(client, q=""):
    r = client.get("/units/search/", {"q": q})
    assert r.status_code == 200
    return r.json()["items"]


@pytest.fixture
def twin(tree):
    """A second 一村, under 洮河镇: two units of the same name."""
    from duban.orgs.models import UnitKind
    from duban.orgs.services import unit_create

    return unit_create(actor=SystemActor("测试"), name="一村", kind=UnitKind.VILLAGE, parent=tree["town_b"])


def test_search_tells_same_named_units_apart_by_their_path(users, tree, twin, client_for):
    items = _search(client_for(users["office"]), "一村")
    assert {(i["id"], i["path"]) for i in items} == {(tree["village_a1"].pk, "洮北区 › 平安镇"), (twin.pk, "洮北区 › 洮河镇")}
    assert all(i["name"] == "一村" and i["kind"] == "村社区" for i in items)


def test_search_is_scoped(users, tree, twin, client_for):
    liaison = client_for(users["liaison_a"])
    assert [i["id"] for i in _search(liaison, "一村")] == [tree["village_a1"].pk]
    assert _search(liaison, "洮河") == [] and _search(liaison, "财政") == []
    assert _search(client_for(users["outsider"]), "") == []
    assert client_for(users["outsider"]).get("/units/search/", {"q": "村"}).json() == {"items": []}
    from django.test import Client

    assert Client().get("/units/search/", {"q": "村"}).status_code == 302  # signed in only


def test_search_puts_prefix_matches_first_and_contains_after(users, tree, client_for):
    c = client_for(users["office"])
    names = [i["name"] for i in _search(c, "平安")]
    assert names == ["平安镇"]
    names = [i["name"] for i in _search(c, "村")]  # contains only
    assert set(names) == {"一村", "二村", "三村"}
    assert [i["name"] for i in _search(c, "财政")] == ["区财政局"]
    # "上级/名称" narrows by an ancestor
    assert [i["path"] for i in _search(c, "平安镇/一")] == ["洮北区 › 平安镇"]


def test_search_without_text_offers_the_top_of_the_users_tree(users, tree, client_for):
    office = [i["name"] for i in _search(client_for(users["office"]))]
    assert office[0] == "洮北区" and {"平安镇", "洮河镇", "区财政局"} <= set(office) and "一村" not in office
    assert [i["name"] for i in _search(client_for(users["liaison_a"]))] == ["平安镇", "一村", "二村"]


def test_search_is_limited_to_20(users, tree, client_for):
    from duban.orgs.models import OrgUnit, UnitKind
    from duban.orgs.services import unit_create

    for i in range(30):
        unit_create(actor=SystemActor("测试"), name=f"新村{i:02d}组", kind=UnitKind.OTHER, parent=tree["village_a1"])
    items = _search(client_for(users["office"]), "新村")
    assert len(items) == 20 and OrgUnit.objects.filter(name__startswith="新村").count() == 30


def _create(client, **data):
    body = {"description": "路灯不亮", "source": "self_check", "kind": "long_term", **data}
    return client.post("/ledger/new/", body)


def test_form_takes_the_picked_id(users, tree, twin, campaign, client_for):
    c = client_for(users["office"])
    r = _create(c, unit="一村", unit_id=str(twin.pk))  # the name repeats; the id decides
    assert r.status_code == 302, r.content.decode()[-1500:]
    assert Problem.objects.get().unit_id == twin.pk


def test_form_without_script_resolves_the_typed_name(users, tree, twin, campaign, client_for):
    c = client_for(users["office"])
    r = _create(c, unit="一村")
    assert r.status_code == 400 and "不唯一" in r.content.decode() and "平安镇/一村" in r.content.decode()
    assert _create(c, unit="洮河镇/一村").status_code == 302
    assert Problem.objects.get().unit_id == twin.pk
    r = _create(c, unit="平安真")
    assert r.status_code == 400 and "最接近的单位：平安镇" in r.content.decode()


def test_an_edited_name_wins_over_a_stale_id(users, tree, campaign, client_for):
    c = client_for(users["office"])
    assert _create(c, unit="区财政局", unit_id=str(tree["village_a1"].pk)).status_code == 302
    assert Problem.objects.get().unit_id == tree["dept"].pk


def test_form_refuses_an_id_outside_the_users_scope(users, tree, campaign, client_for):
    c = client_for(users["liaison_a"])
    r = _create(c, unit="三村", unit_id=str(tree["village_b1"].pk))
    assert r.status_code == 400 and not Problem.objects.exists()
    r = _create(c, unit="", unit_id=str(tree["village_b1"].pk))
    assert r.status_code == 400 and "不在您的范围内" in r.content.decode()
    r = _create(c, unit="", unit_id="99999999")
    assert r.status_code == 400 and not Problem.objects.exists()


def test_form_renders_the_picker_with_the_units_name_and_id(users, tree, campaign, client_for, problem_a):
    html = client_for(users["office"]).get(f"/ledger/{problem_a.pk}/edit/").content.decode()
    assert 'data-unit-picker' in html and 'role="combobox"' in html
    assert re.search(r'name="unit" value="一村"', html)
    assert re.search(rf'name="unit_id" value="{problem_a.unit_id}"', html)
    assert re.search(rf'name="initial-unit" value="{problem_a.unit_id}"', html)


def _unit_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if '"orgs_orgunit"' in q["sql"].split(" WHERE ")[0]]


@pytest.mark.parametrize("who", ["office", "liaison_a"])
def test_post_query_count_does_not_grow_with_the_tree(users, tree, campaign, client_for, who):
    """A problem POST reads units by id and name only: the count is the same with 7 units or
    307, and no query reads the unit table unfiltered (the old field loaded it twice)."""
    from duban.orgs.models import OrgUnit, UnitKind

    c = client_for(users[who])
    c.get("/ledger/new/")  # warm the session

    def post(seq):
        with CaptureQueriesContext(connection) as ctx:
            r = _create(c, unit="一村", unit_id=str(tree["village_a1"].pk), supervisor="平安镇", description=f"问题{seq}")
        assert r.status_code == 302, r.content.decode()[-1500:]
        return ctx

    small = post(1)
    root = tree["village_a1"]
    OrgUnit.objects.bulk_create([
        OrgUnit(name=f"组{i}", kind=UnitKind.OTHER, parent=root, path=f"{root.path}{9_000_000 + i:010d}.", depth=root.depth + 1, region_id=root.region_id)
        for i in range(300)
    ])
    big = post(2)
    assert len(big.captured_queries) == len(small.captured_queries), [q["sql"] for q in big.captured_queries]
    for sql in _unit_queries(big):
        assert " WHERE " in sql, sql
    assert len(small.captured_queries) <= 30


def test_api_takes_a_unit_by_id_or_by_name(users, tree, twin, campaign, client_for):
    c = client_for(users["office"])

    def post(**body):
        return c.post("/api/problems", {"description": "路灯不亮", "kind": "long_term", **body}, content_type="application/json")

    assert post(unit_id=tree["dept"].pk).status_code == 201
    r = post(unit="洮河镇/一村", supervisor="平安镇")
    assert r.status_code == 201, r.content
    p = Problem.objects.get(pk=r.json()["id"])
    assert p.unit_id == twin.pk and p.supervisor_id == tree["town_a"].pk
    r = post(unit="一村")
    assert r.status_code == 422 and "不唯一" in r.json()["detail"]
    assert post(unit="不存在的村").status_code == 422
    assert post().status_code == 422
    assert post(unit="一村", unit_id=twin.pk).status_code == 422
    # PATCH by name
    r = c.patch(f"/api/problems/{p.pk}", {"unit": "区财政局"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert Problem.objects.get(pk=p.pk).unit_id == tree["dept"].pk
    # a liaison cannot name a unit outside its scope
    r = client_for(users["liaison_a"]).post("/api/problems", {"description": "x", "kind": "long_term", "unit": "三村"}, content_type="application/json")
    assert r.status_code == 422 and "未知单位" in r.json()["detail"]
