"""Campaign page and membership management from the UI."""

from __future__ import annotations

import pytest
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.orgs.models import Membership


@pytest.mark.django_db
def test_campaign_page_visible_to_liaison_editable_by_office(client_for, users, campaign):
    url = reverse("campaigns:detail", kwargs={"pk": campaign.pk})
    assert "强化担当作为" in client_for(users["liaison_a"]).get(url).content.decode()
    assert client_for(users["liaison_a"]).post(url, {"name": "改名"}).status_code == 403
    assert client_for(users["outsider"]).get(url).status_code == 404
    c = client_for(users["office"])
    r = c.post(url, {"name": "解放思想再深入", "start_date": "2021-11-09", "end_date": "2022-06-30", "is_active": "on"})
    assert r.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "解放思想再深入" and str(campaign.end_date) == "2022-06-30"
    r = c.post(url, {"name": "x", "start_date": "2021-11-09", "end_date": "2020-01-01"})
    assert r.status_code == 200 and "结束日期不能早于开始日期" in r.content.decode()
    c.post(url, {"add_area": "1", "name": "项目攻坚"})
    assert campaign.focus_areas.filter(name="项目攻坚").exists()
    assert AuditEvent.objects.filter(verb="campaign.update", object_id=str(campaign.pk)).exists()


@pytest.mark.django_db
def test_office_adds_a_member_liaison_cannot(client_for, tree, users):
    url = reverse("orgs:unit_detail", kwargs={"pk": tree["village_a1"].pk})
    data = {"add_member": "1", "username": "cun1", "full_name": "张三", "password": "longenough1", "role": "liaison", "title": "村书记"}
    assert client_for(users["liaison_a"]).post(url, data).status_code == 403
    assert client_for(users["office"]).post(url, data).status_code == 302
    m = Membership.objects.get(user__username="cun1")
    assert m.unit == tree["village_a1"] and m.title == "村书记"
    assert AuditEvent.objects.filter(verb="user.create", object_repr="cun1").exists()
    # A new account without a password is refused with a message.
    r = client_for(users["office"]).post(url, {**data, "username": "cun2", "password": ""})
    assert r.status_code == 200 and "新账号需要初始密码" in r.content.decode()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="cun2").exists()
    assert not AuditEvent.objects.filter(object_repr="cun2").exists()
