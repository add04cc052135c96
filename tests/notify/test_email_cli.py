"""E-mail through Django's SMTP backend to a real SMTP server on 127.0.0.1, and
`duban notify send|test` as an office runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from duban.core.actors import SystemActor
from duban.notify.models import Channel, Delivery, DeliveryStatus
from duban.notify.services import notify_send, outbox_deliver_due, unit_channel_set

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.django_db
def test_unit_and_user_mail_goes_through_smtp(users, tree, smtp):
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.EMAIL, target="zhen@pingan.gov.cn、ban@pingan.gov.cn")
    users["office"].email = "office@taobei.gov.cn"
    users["office"].save()
    notify_send(units=[tree["town_a"]], users=[users["office"]], subject="整改提醒", body="问题 12 号明天到期", kind="reminder", dedup_key="m:1")
    notify_send(units=[tree["town_a"]], subject="调度通知", body="周五 17:00 前报送", kind="round", dedup_key="m:2")
    report = outbox_deliver_due()
    assert report.failed == 0 and report.sent == 5
    by_rcpt = {m["to"][0]: m for m in smtp.mails}
    assert set(by_rcpt) == {"zhen@pingan.gov.cn", "ban@pingan.gov.cn", "office@taobei.gov.cn"}
    # The two notices to one mailbox travel as one digest.
    assert by_rcpt["zhen@pingan.gov.cn"]["subject"].startswith("督办通知（2 条）")
    assert "周五 17:00 前报送" in by_rcpt["zhen@pingan.gov.cn"]["body"]
    assert by_rcpt["office@taobei.gov.cn"]["subject"] == "整改提醒"


@pytest.mark.django_db
def test_refused_recipient_is_a_failure_in_chinese(users, tree, smtp):
    smtp.reject.add("nobody@pingan.gov.cn")
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.EMAIL, target="nobody@pingan.gov.cn")
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="m:3")
    outbox_deliver_due()
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.FAILED and "拒收收件人" in d.last_error


@pytest.mark.django_db
def test_notify_test_email(smtp):
    call_command("notify", "test", "email", "ban@pingan.gov.cn")
    assert smtp.mails[0]["subject"] == "督办测试消息" and smtp.mails[0]["to"] == ["ban@pingan.gov.cn"]


@pytest.mark.django_db
def test_notify_test_wecom_and_its_refusal(robots):
    robots.wecom.add("k1")
    call_command("notify", "test", "wecom", robots.wecom_url("k1"))
    assert robots.posts[0]["body"]["markdown"]["content"].startswith("### 督办测试消息")
    with pytest.raises(CommandError, match="企业微信机器人地址无效"):
        call_command("notify", "test", "wecom", robots.wecom_url("wrong"))


@pytest.mark.django_db
def test_notify_send_prints_what_it_did(users, tree, robots, capsys):
    robots.dingtalk["t"] = ""
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK, target=robots.dingtalk_url("t"))
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="c:1")
    call_command("notify", "send")
    assert "已发送 1 条" in capsys.readouterr().out and len(robots.posts) == 1


def _duban(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "duban.cli", *args], env=env, capture_output=True, text=True, timeout=60)


def test_duban_notify_test_dingtalk_reaches_the_robot_with_a_valid_signature(robots):
    robots.dingtalk["tok"] = "SECabc123"
    ok = _duban("notify", "test", "dingtalk", robots.dingtalk_url("tok"), "--secret", "SECabc123")
    assert ok.returncode == 0, ok.stderr
    assert "已发送到钉钉群" in ok.stdout and len(robots.posts) == 1 and robots.refused == []
    bad = _duban("notify", "test", "dingtalk", robots.dingtalk_url("tok"), "--secret", "SECwrong")
    assert bad.returncode != 0 and "签名不符" in bad.stderr and len(robots.posts) == 1
    unsigned = _duban("notify", "test", "dingtalk", robots.dingtalk_url("tok"))
    assert unsigned.returncode != 0 and "加签密钥" in unsigned.stderr


def test_duban_notify_test_refuses_a_bad_url_plainly():
    out = _duban("notify", "test", "dingtalk", "http://oapi.dingtalk.com/robot/send?access_token=x")
    assert out.returncode != 0 and "https://" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_send_twice(users, tree, robots, settings):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    # queued, not delivered inline at each commit (the suite runs tasks inline): the two workers deliver
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    robots.limit = 1000
    for n in range(6):
        robots.wecom.add(f"k{n}")
        unit = tree["town_a"] if n % 2 else tree["town_b"]
        # Six units' robots: give each its own unit so every robot has traffic.
        from duban.orgs.services import unit_create

        u = unit_create(actor=SystemActor("测试"), name=f"{n}村", kind="village", parent=unit)
        unit_channel_set(actor=SystemActor("测试"), unit=u, channel=Channel.WECOM, target=robots.wecom_url(f"k{n}"))
        for i in range(15):
            notify_send(units=[u], subject=f"{n}村第{i}号", body="长" * 1500, kind="reminder", dedup_key=f"p:{n}:{i}")
    reports = []

    def run():
        try:
            reports.append(outbox_deliver_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    subjects = [line for p in robots.posts for line in p["body"]["markdown"]["content"].split("\n") if line.startswith("### ")]
    assert len(subjects) == 90 and len(set(subjects)) == 90
    assert sum(r.sent for r in reports) == 90 and Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 90
