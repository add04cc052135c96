"""Every service write leaves an audit row; the trail is append-only and scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.audit.services import user_action
from duban.campaigns.services import campaign_create, campaign_update, focus_area_create
from duban.core.actors import SystemActor
from duban.orgs.services import membership_set, token_create, token_revoke, unit_create, unit_update


def last(verb):
    return AuditEvent.objects.filter(verb=verb).order_by("-id").first()


@pytest.mark.django_db
def test_each_service_write_is_audited_with_before_and_after(tree, users):
    office = users["office"]
    unit = unit_create(actor=office, name="新村", kind="village", parent=tree["town_a"])
    e = last("orgunit.create")
    assert e.object_id == str(unit.pk) and e.actor == office and e.changes["name"] == [None, "新村"]
    unit_update(actor=office, unit=unit, name="新兴村", parent=tree["town_b"])
    e = last("orgunit.update")
    assert e.changes["name"] == ["新村", "新兴村"] and e.changes["parent"] == ["平安镇", "洮河镇"]
    membership_set(actor=office, user=users["outsider"], unit=tree["town_a"], role="viewer")
    assert last("membership.set").unit_id == tree["town_a"].pk
    token_create(actor=office, user=users["outsider"])
    assert last("token.create") is not None
    from duban.orgs.models import ApiToken

    token_revoke(actor=office, token=ApiToken.objects.get(user=users["outsider"]))
    assert last("token.revoke").changes == {"revoked": [False, True]}
    c = campaign_create(actor=office, name="活动", unit=tree["root"], start_date=dt.date(2021, 11, 9), focus_areas=["甲"])
    assert last("campaign.create").object_id == str(c.pk) and last("focusarea.create") is not None
    campaign_update(actor=office, campaign=c, name="活动二")
    assert last("campaign.update").changes["name"] == ["活动", "活动二"]
    focus_area_create(actor=office, campaign=c, name="乙")
    assert last("focusarea.create").changes == {"name": [None, "乙"]}


@pytest.mark.django_db
def test_one_action_id_per_user_action(tree):
    with user_action() as action:
        unit_create(actor=SystemActor("t"), name="甲村", kind="village", parent=tree["town_a"])
        unit_create(actor=SystemActor("t"), name="乙村", kind="village", parent=tree["town_a"])
    ids = set(AuditEvent.objects.filter(object_repr__in=["甲村", "乙村"]).values_list("action_id", flat=True))
    assert ids == {action.id}
    unit_create(actor=SystemActor("t"), name="丙村", kind="village", parent=tree["town_a"])
    assert last("orgunit.create").action_id != action.id


@pytest.mark.django_db
def test_a_failed_write_leaves_no_audit_row(tree):
    from django.core.exceptions import ValidationError

    n = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        unit_update(actor=SystemActor("t"), unit=tree["town_a"], name="洮河镇")  # clashes with its sibling
    assert AuditEvent.objects.count() == n


@pytest.mark.django_db
def test_audit_rows_cannot_be_changed_or_deleted(tree):
    e = AuditEvent.objects.first()
    e.note = "篡改"
    with pytest.raises(PermissionError):
        e.save()
    with pytest.raises(PermissionError):
        e.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=e.pk).update(note="篡改")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db
def test_audit_list_is_office_only_filterable_and_scoped(client_for, tree, users):
    unit_create(actor=users["office"], name="甲村", kind="village", parent=tree["town_a"])
    assert client_for(users["liaison_a"]).get(reverse("audit:list")).status_code == 403
    c = client_for(users["office"])
    body = c.get(reverse("audit:list"), {"verb": "orgunit.create", "actor": "office"}).content.decode()
    assert "甲村" in body
    body = c.get(reverse("audit:list"), {"verb": "membership.set"}).content.decode()
    assert "甲村" not in body
    r = c.get(reverse("audit:list"), {"action_id": "not-a-uuid"})
    assert r.status_code == 200 and "暂无记录" in r.content.decode()  # a malformed id matches nothing


@pytest.mark.django_db
def test_audit_filters_render_without_unresolved_variables(client_for, users, strict_templates):
    """The filter form reads the query string: a filter not given is empty, not a failed lookup."""
    from tests.crawler import MARKER

    c = client_for(users["office"])
    for params in ({}, {"actor": "office"}, {"since": "2021-11-09"}):
        body = c.get(reverse("audit:list"), params).content.decode()
        assert 'name="actor"' in body and MARKER not in body, params
    assert 'name="actor" value="office"' in c.get(reverse("audit:list"), {"actor": "office"}).content.decode()


@pytest.mark.django_db
def test_history_is_shown_on_the_unit_page(client_for, tree, users):
    unit_update(actor=users["office"], unit=tree["village_a1"], name="一村（新）")
    body = client_for(users["liaison_a"]).get(reverse("orgs:unit_detail", kwargs={"pk": tree["village_a1"].pk})).content.decode()
    assert "变更记录" in body and "一村（新）" in body and "修改单位" in body and "orgunit.update" not in body


@pytest.mark.django_db
def test_request_shares_one_action_id(client_for, tree, users):
    """Adding a person writes two rows (the account, the membership): one click, one id."""
    c = client_for(users["office"])
    data = {"add_member": "1", "username": "cun1", "full_name": "张三", "password": "longenough1", "role": "liaison"}
    before = AuditEvent.objects.order_by("-id").first().id
    assert c.post(reverse("orgs:unit_detail", kwargs={"pk": tree["village_a1"].pk}), data).status_code == 302
    rows = AuditEvent.objects.filter(id__gt=before)
    assert {"user.create", "membership.set"} <= set(rows.values_list("verb", flat=True))
    ids = set(rows.values_list("action_id", flat=True))
    assert len(ids) == 1 and None not in ids
    c.post(reverse("orgs:unit_detail", kwargs={"pk": tree["town_a"].pk}), {"name": "丁村", "kind": "village"})
    created = last("orgunit.create")
    assert created.object_repr == "丁村" and created.action_id not in ids  # the next click, the next id
