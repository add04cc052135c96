"""The one scoping rule: users see their units' subtrees and nothing else, everywhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import can, role_for, scope, visible_units


def names(qs):
    return set(qs.values_list("name", flat=True))


@pytest.mark.django_db
def test_office_and_leader_see_whole_district(tree, users):
    everything = set(OrgUnit.objects.values_list("name", flat=True))
    assert names(visible_units(users["office"])) == everything
    assert names(visible_units(users["leader"])) == everything


@pytest.mark.django_db
def test_liaison_sees_only_own_town_subtree(tree, users):
    assert names(visible_units(users["liaison_a"])) == {"平安镇", "一村", "二村"}
    assert names(visible_units(users["liaison_b"])) == {"洮河镇", "三村"}


@pytest.mark.django_db
def test_user_without_unit_and_anonymous_see_nothing(tree, users):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_units(users["outsider"]).exists()
    assert not visible_units(AnonymousUser()).exists()


@pytest.mark.django_db
def test_scope_follows_foreign_keys(tree, users):
    # Audit rows carry the unit they concern; a liaison sees only its subtree's rows.
    seen = set(scope(users["liaison_a"], AuditEvent.objects.all()).values_list("unit__name", flat=True))
    assert seen and seen <= {"平安镇", "一村", "二村"}


@pytest.mark.django_db
def test_inactive_user_sees_nothing(tree, users):
    u = users["office"]
    u.is_active = False
    u.save()
    assert not visible_units(u).exists()


@pytest.mark.django_db
def test_roles_over_units(tree, users):
    assert role_for(users["office"], tree["village_b1"]) == "office"
    assert role_for(users["liaison_a"], tree["village_a1"]) == "liaison"
    assert role_for(users["liaison_a"], tree["village_b1"]) is None
    assert can(users["office"], tree["town_a"], "office")
    assert not can(users["leader"], tree["town_a"], "office")


@pytest.mark.django_db
def test_model_without_scope_field_is_refused(users):
    from django.contrib.auth import get_user_model

    with pytest.raises(TypeError):
        scope(users["liaison_a"], get_user_model().objects.all())


# Generated permission tests: for every unit page and API endpoint, a liaison of town B
# is refused town A's objects, and town A's liaison is served them.
UNIT_VIEWS = [
    ("orgs:unit_detail", "html"),
    ("api:unit_detail", "api"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,kind", UNIT_VIEWS)
@pytest.mark.parametrize("target", ["town_a", "village_a1", "village_a2"])
def test_views_refuse_units_outside_scope(client_for, tree, users, name, kind, target):
    url = reverse(name, kwargs={"pk" if kind == "html" else "unit_id": tree[target].pk})
    assert client_for(users["liaison_b"]).get(url).status_code == 404
    r = client_for(users["liaison_a"]).get(url)
    assert r.status_code == 200
    assert tree[target].name in r.content.decode() if kind == "html" else r.json()["id"] == tree[target].pk
    assert client_for(users["outsider"]).get(url).status_code == 404


@pytest.mark.django_db
def test_list_page_and_api_list_show_only_scope(client_for, tree, users):
    c = client_for(users["liaison_b"])
    body = c.get(reverse("orgs:unit_list"), {"q": "村"}).content.decode()
    assert "三村" in body and "一村" not in body and "二村" not in body
    data = c.get("/api/units", {"limit": 100}).json()
    assert {u["name"] for u in data["items"]} == {"洮河镇", "三村"}
    assert data["count"] == 2


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_and_api_refuses(client, tree):
    r = client.get(reverse("orgs:unit_list"))
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")
    assert client.get("/api/units").status_code == 401


@pytest.mark.django_db
def test_liaison_cannot_create_units_even_in_own_town(client_for, tree, users):
    c = client_for(users["liaison_a"])
    r = c.post(reverse("orgs:unit_detail", kwargs={"pk": tree["town_a"].pk}), {"name": "新村", "kind": "village"})
    assert r.status_code == 403
    r = c.post("/api/units", {"name": "新村", "kind": "village", "parent_id": tree["town_a"].pk}, content_type="application/json")
    assert r.status_code == 403
    assert not OrgUnit.objects.filter(name="新村").exists()


@pytest.mark.django_db
def test_office_creates_unit_from_page_and_api(client_for, tree, users):
    c = client_for(users["office"])
    r = c.post(reverse("orgs:unit_detail", kwargs={"pk": tree["town_a"].pk}), {"name": "四村", "kind": "village"})
    assert r.status_code == 302
    r = c.post("/api/units", {"name": "五村", "kind": "village", "parent_id": tree["town_b"].pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert OrgUnit.objects.get(name="五村").path.startswith(tree["town_b"].path)
    # A duplicate name under one parent is refused with a message, not a 500.
    r = c.post("/api/units", {"name": "五村", "kind": "village", "parent_id": tree["town_b"].pk}, content_type="application/json")
    assert r.status_code == 422 and "同名" in r.json()["detail"]


@pytest.mark.django_db
def test_home_page_shows_unit_campaign_and_figures(client_for, users, campaign):
    body = client_for(users["liaison_a"]).get("/").content.decode()
    assert "平安镇" in body and "解放思想大讨论" in body and "整改率" in body


@pytest.mark.django_db
def test_chinese_first_whatever_the_browser_says(client_for, users):
    c = client_for(users["office"])
    r = c.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert r["Content-Language"] == "zh-hans"
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert c.get("/")["Content-Language"] == "en"


@pytest.mark.django_db
def test_new_membership_takes_effect_on_the_same_user_object(tree, users):
    from duban.orgs.services import membership_set

    outsider = users["outsider"]
    assert not visible_units(outsider).exists()  # remembered: no grants, sees nothing
    membership_set(actor=SystemActor("测试"), user=outsider, unit=tree["root"], role="viewer")
    assert visible_units(outsider).count() == OrgUnit.objects.count()
