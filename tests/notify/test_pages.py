"""The inbox with its unread count in the header, and the channel settings pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.notify.models import Channel, InboxItem, UnitChannel
from duban.notify.services import notify_send, unit_channel_set

TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"
SECRET = "SEC1234567890abcdefghijklmnopqrstuvwxyz"
URL = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"


def header_unread(html: str) -> str | None:
    m = re.search(r'class="inbox-link"[^>]*>[^<]*(?:<span class="badge red">(\d+)</span>)?', html)
    assert m, "the header links to the inbox"
    return m.group(1)


@pytest.mark.django_db
def test_unread_count_in_the_header_and_marking_read(client_for, users, tree, campaign):
    notify_send(units=[tree["town_a"]], subject="整改提醒：路灯不亮", body="请于 3 个工作日内办结", kind="reminder", dedup_key="p:1")
    notify_send(users=[users["liaison_a"]], subject="调度通知", kind="round", dedup_key="p:2")
    c = client_for(users["liaison_a"])
    assert header_unread(c.get("/").content.decode()) == "2"
    assert header_unread(client_for(users["liaison_b"]).get("/").content.decode()) is None
    page = c.get(reverse("notify:inbox")).content.decode()
    assert "整改提醒：路灯不亮" in page and "请于 3 个工作日内办结" in page and "2 条未读" in page
    one = InboxItem.objects.get(user=users["liaison_a"], message__dedup_key="p:1")
    c.post(reverse("notify:inbox_read"), {"item": one.pk})
    assert header_unread(c.get("/").content.decode()) == "1"
    # Someone else's item id marks nothing of theirs.
    other = client_for(users["liaison_b"])
    other.post(reverse("notify:inbox_read"), {"item": InboxItem.objects.get(message__dedup_key="p:2").pk})
    assert header_unread(c.get("/").content.decode()) == "1"
    # Ids that are no row's mark nothing (and never everything).
    for junk in ("abc", "9" * 40, "-1", "", "１²"):
        assert c.post(reverse("notify:inbox_read"), {"item": junk}).status_code == 302
    c.post(reverse("notify:inbox_read"))
    assert header_unread(c.get("/").content.decode()) == "1"
    c.post(reverse("notify:inbox_read"), {"all": "1"})
    assert header_unread(c.get("/").content.decode()) is None


@pytest.mark.django_db
def test_inbox_needs_login(client):
    r = client.get(reverse("notify:inbox"))
    assert r.status_code == 302 and "/login/" in r["Location"]


@pytest.mark.django_db
def test_office_sets_channels_and_never_sees_the_secret_again(client_for, users, tree, campaign):
    c = client_for(users["office"])
    url = reverse("notify:channel_edit", kwargs={"unit_pk": tree["town_a"].pk})
    r = c.post(url, {"dingtalk_url": URL, "dingtalk_secret": SECRET, "emails": "a@pingan.gov.cn、b@pingan.gov.cn"})
    assert r.status_code == 302
    cfg = UnitChannel.objects.get(unit=tree["town_a"], channel=Channel.DINGTALK)
    assert (cfg.target, cfg.secret) == (URL, SECRET)
    for page in (c.get(url).content.decode(), c.get(reverse("notify:channels")).content.decode()):
        assert TOKEN not in page and SECRET not in page and SECRET[4:-4] not in page
        assert "已加签" in page and TOKEN[:4] in page
    trail = str(list(AuditEvent.objects.filter(verb__startswith="notify.").values_list("changes", flat=True)))
    assert TOKEN not in trail and SECRET not in trail and "已更改" in trail
    # A blank secret keeps the stored one; a blank URL keeps the robot.
    c.post(url, {"dingtalk_url": "", "dingtalk_secret": "", "emails": "a@pingan.gov.cn"})
    cfg.refresh_from_db()
    assert (cfg.target, cfg.secret) == (URL, SECRET)
    assert UnitChannel.objects.get(unit=tree["town_a"], channel=Channel.EMAIL).target == "a@pingan.gov.cn"
    c.post(url, {"dingtalk_clear": "on", "emails": ""})
    assert not UnitChannel.objects.filter(unit=tree["town_a"]).exists()


@pytest.mark.django_db
def test_bad_robot_url_is_refused_in_chinese(client_for, users, tree, campaign):
    c = client_for(users["office"])
    r = c.post(reverse("notify:channel_edit", kwargs={"unit_pk": tree["town_a"].pk}),
               {"dingtalk_url": "http://oapi.dingtalk.com/robot/send?access_token=x", "emails": ""})
    assert r.status_code == 200 and "必须是 https://" in r.content.decode()
    assert not UnitChannel.objects.exists()


@pytest.mark.django_db
def test_liaison_sees_its_own_unit_masked_and_cannot_change_it(client_for, users, tree, campaign):
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK, target=URL, secret=SECRET)
    c = client_for(users["liaison_a"])
    listing = c.get(reverse("notify:channels")).content.decode()
    assert "平安镇" in listing and "洮河镇" not in listing and TOKEN not in listing
    own = reverse("notify:channel_edit", kwargs={"unit_pk": tree["town_a"].pk})
    page = c.get(own).content.decode()
    assert "由推进办设置" in page and "<form method=\"post\">" not in page and TOKEN not in page
    assert c.post(own, {"dingtalk_url": "", "emails": "x@y.cn"}).status_code == 403
    assert UnitChannel.objects.get(unit=tree["town_a"]).target == URL
    # Another town's settings do not exist for this liaison.
    assert c.get(reverse("notify:channel_edit", kwargs={"unit_pk": tree["town_b"].pk})).status_code == 404


@pytest.mark.django_db
def test_menu_offers_channels_to_the_office_only(client_for, users, campaign):
    assert "通知渠道" in client_for(users["office"]).get("/").content.decode()
    assert "通知渠道" not in client_for(users["liaison_a"]).get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "code"), [("office", 302), ("leader", 403), ("liaison_a", 403), ("liaison_b", 404), ("outsider", 404)])
def test_only_the_office_changes_a_units_channels(client_for, users, tree, campaign, who, code):
    url = reverse("notify:channel_edit", kwargs={"unit_pk": tree["town_a"].pk})
    assert client_for(users[who]).post(url, {"emails": "zhen@pingan.gov.cn"}).status_code == code
    assert UnitChannel.objects.filter(unit=tree["town_a"]).exists() == (who == "office")


def test_channels_form_checks_each_field_by_its_own_rule():
    """The three text fields share one reading (strip; blank is not checked; a failed check
    is the field's error): each field keeps its own rule — a DingTalk URL is not a WeCom one."""
    from duban.notify.forms import ChannelsForm

    wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    form = ChannelsForm({"dingtalk_url": f"  {URL}  ", "wecom_url": f" {wecom}\n", "emails": " a@pingan.gov.cn "})
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["dingtalk_url"], form.cleaned_data["wecom_url"], form.cleaned_data["emails"]) == (URL, wecom, "a@pingan.gov.cn")
    assert ChannelsForm({"dingtalk_url": "  ", "wecom_url": "", "emails": " "}).is_valid()
    form = ChannelsForm({"dingtalk_url": wecom, "wecom_url": URL, "emails": "不是邮箱"})
    assert not form.is_valid()
    assert "access_token" in form.errors["dingtalk_url"][0] and "key=" in form.errors["wecom_url"][0]
    assert form.errors["emails"] == ["邮箱地址“不是邮箱”格式不对"]
