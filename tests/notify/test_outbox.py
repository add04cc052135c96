"""The outbox against robot endpoints on 127.0.0.1 that check signatures and rate limits
the way DingTalk and WeCom do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from duban.core.actors import SystemActor
from duban.notify.models import Channel, Delivery, DeliveryStatus, InboxItem, Message
from duban.notify.services import notify_send, outbox_claim, outbox_deliver_due, unit_channel_set

SECRET = "SECtest0123456789abcdef+/="


@pytest.fixture
def ding(robots, tree):
    robots.dingtalk["tok-a"] = SECRET
    return unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK,
                            target=robots.dingtalk_url("tok-a"), secret=SECRET)


@pytest.fixture
def wecom(robots, tree):
    robots.wecom.add("key-b")
    return unit_channel_set(actor=SystemActor("测试"), unit=tree["town_b"], channel=Channel.WECOM, target=robots.wecom_url("key-b"))


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


@pytest.mark.django_db
def test_send_writes_inbox_and_outbox_and_sends_nothing(users, tree, ding, robots):
    msg = notify_send(units=[tree["town_a"]], subject="整改提醒", body="3 个问题 3 个工作日内到期", kind="reminder", dedup_key="r:1")
    assert set(InboxItem.objects.filter(message=msg).values_list("user__username", flat=True)) == {"liaison_a"}
    d = Delivery.objects.get(message=msg)
    assert (d.channel, d.status, d.unit_id) == (Channel.DINGTALK, DeliveryStatus.QUEUED, tree["town_a"].pk)
    assert robots.posts == []  # the request never sends


@pytest.mark.django_db
def test_same_dedup_key_never_queues_twice(users, tree, ding):
    a = notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="r:2")
    b = notify_send(units=[tree["town_a"], tree["town_a"]], users=[users["liaison_a"]], subject="整改提醒", kind="reminder", dedup_key="r:2")
    assert a.pk == b.pk and Message.objects.count() == 1
    assert Delivery.objects.count() == 1 and InboxItem.objects.count() == 1


@pytest.mark.django_db
def test_two_units_sharing_one_robot_get_one_post(users, tree, robots):
    robots.dingtalk["shared"] = ""
    for town in ("town_a", "town_b"):
        unit_channel_set(actor=SystemActor("测试"), unit=tree[town], channel=Channel.DINGTALK, target=robots.dingtalk_url("shared"))
    notify_send(units=[tree["town_a"], tree["town_b"]], subject="全区调度", kind="round", dedup_key="r:3")
    assert Delivery.objects.count() == 1
    outbox_deliver_due()
    assert len(robots.posts) == 1


@pytest.mark.django_db
def test_a_rolled_back_write_queues_nothing(users, tree, ding):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_send(units=[tree["town_a"]], subject="不该发出", kind="reminder", dedup_key="r:4")
        raise RuntimeError("the caller's write failed")
    assert not Message.objects.exists() and not Delivery.objects.exists() and not InboxItem.objects.exists()


@pytest.mark.django_db
def test_signed_dingtalk_post_is_accepted_and_marked_sent(users, tree, ding, robots):
    notify_send(units=[tree["town_a"]], subject="整改提醒", body="请于周五前上传整改佐证", kind="reminder", dedup_key="r:5")
    report = outbox_deliver_due()
    assert report.sent == 1 and report.posts == 1, report
    assert robots.refused == []
    post = robots.posts[0]
    assert post["query"]["sign"] and post["query"]["timestamp"]
    assert post["body"]["msgtype"] == "markdown" and "请于周五前上传整改佐证" in post["body"]["markdown"]["text"]
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.SENT and d.sent_at and d.attempts == 1
    assert outbox_deliver_due(now=later(3600)).posts == 0  # never twice


@pytest.mark.django_db
def test_messages_to_one_group_are_merged_into_a_digest(users, tree, ding, robots):
    for i in range(5):
        notify_send(units=[tree["town_a"]], subject=f"问题{i}临近时限", body="请尽快办理", kind="reminder", dedup_key=f"d:{i}")
    report = outbox_deliver_due()
    assert report.sent == 5 and len(robots.posts) == 1
    text = robots.posts[0]["body"]["markdown"]["text"]
    assert "督办通知（5 条）" in text and all(f"问题{i}临近时限" in text for i in range(5))


@pytest.mark.django_db
def test_wrong_secret_fails_at_once_with_a_chinese_reason(users, tree, robots):
    robots.dingtalk["tok-x"] = SECRET
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK, target=robots.dingtalk_url("tok-x"), secret="SECwrong")
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="r:6")
    report = outbox_deliver_due()
    d = Delivery.objects.get()
    assert report.failed == 1 and d.status == DeliveryStatus.FAILED
    assert "签名" in d.last_error and "加签密钥" in d.last_error
    assert robots.refused[0]["answer"]["errcode"] == 310000


@pytest.mark.django_db
def test_wecom_limit_of_20_a_minute_is_respected(users, tree, wecom, robots):
    # Each message is over half of WeCom's 4,096 bytes, so each needs its own post.
    for i in range(25):
        notify_send(units=[tree["town_b"]], subject=f"第{i}号", body="长" * 800, kind="reminder", dedup_key=f"w:{i}")
    now = timezone.now()
    first = outbox_deliver_due(now=now)
    assert first.posts == 20 and first.waiting == 5 and robots.refused == []
    assert all(len(p["body"]["markdown"]["content"].encode()) <= 4096 for p in robots.posts)
    waiting = Delivery.objects.filter(status=DeliveryStatus.QUEUED)
    assert waiting.count() == 5 and all(d.attempts == 0 for d in waiting)
    assert outbox_deliver_due(now=now + dt.timedelta(seconds=30)).posts == 0
    robots.advance(61)
    second = outbox_deliver_due(now=now + dt.timedelta(seconds=61))
    assert second.posts == 5 and Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 25
    subjects = [p["body"]["markdown"]["content"].split("\n")[0] for p in robots.posts]
    assert len(subjects) == len(set(subjects)) == 25  # each once


@pytest.mark.django_db
def test_dingtalk_lock_130101_holds_the_robot_for_ten_minutes(users, tree, ding, robots):
    robots.force["tok-a"] = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="r:7")
    now = timezone.now()
    report = outbox_deliver_due(now=now)
    d = Delivery.objects.get()
    assert report.retrying == 1 and d.status == DeliveryStatus.QUEUED and d.attempts == 1
    assert d.next_attempt_at >= now + dt.timedelta(minutes=10)
    assert "限流 10 分钟" in d.last_error and "自动重发" in d.last_error
    robots.force.clear()
    # Due again only after the lock; the robot is not even asked before that.
    asked = len(robots.refused)
    assert outbox_deliver_due(now=now + dt.timedelta(minutes=5)).posts == 0 and len(robots.refused) == asked
    done = outbox_deliver_due(now=now + dt.timedelta(minutes=11))
    assert done.sent == 1 and len(robots.posts) == 1


@pytest.mark.django_db
def test_robot_that_locks_itself_after_20_is_never_pushed_past_the_limit(users, tree, ding, robots):
    """Another sender (a person's script) used up the robot's minute: 130101 comes back; we stop."""
    robots.limit = 0
    for i in range(3):
        notify_send(units=[tree["town_a"]], subject=f"第{i}号", body="长" * 3000, kind="reminder", dedup_key=f"l:{i}")
    report = outbox_deliver_due()
    assert len(robots.refused) == 1  # one refusal, then the whole group waits
    assert report.retrying == 3 and report.posts == 0


@pytest.mark.django_db
def test_unreachable_robot_backs_off_exponentially_then_gives_up(users, tree, robots):
    robots.dingtalk["gone"] = ""
    url = robots.dingtalk_url("gone")
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK, target=url)
    robots.shutdown()
    robots.server_close()  # nothing listens on the port now
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="r:8")
    now = timezone.now()
    delays = []
    for _ in range(8):
        d = Delivery.objects.get()
        if d.status != DeliveryStatus.QUEUED:
            break
        at = max(now, d.next_attempt_at)
        outbox_deliver_due(now=at)
        d.refresh_from_db()
        if d.status == DeliveryStatus.QUEUED:
            delays.append((d.next_attempt_at - at).total_seconds())
        now = at
    assert delays[:4] == [60, 120, 240, 480]
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.FAILED and d.attempts == 8
    assert "连不上钉钉服务器" in d.last_error and "不再重发" in d.last_error


@pytest.mark.django_db
def test_no_answer_after_sending_is_not_retried(users, tree, ding, robots, settings):
    settings.DUBAN_NOTIFY_TIMEOUT = 0.5
    robots.delay = 1.5
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="r:9")
    outbox_deliver_due()
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.FAILED and "可能已经送达" in d.last_error


@pytest.mark.django_db
def test_a_row_is_claimed_by_one_run_only(users, tree, ding):
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="r:10")
    now = timezone.now()
    assert len(outbox_claim(now=now, token="worker-1")) == 1
    assert outbox_claim(now=now, token="worker-2") == []


@pytest.mark.django_db
def test_a_worker_that_died_mid_send_does_not_cause_a_resend(users, tree, ding, robots):
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="r:11")
    now = timezone.now()
    outbox_claim(now=now, token="dead-worker")
    report = outbox_deliver_due(now=now + dt.timedelta(minutes=20))
    d = Delivery.objects.get()
    assert report.posts == 0 and d.status == DeliveryStatus.FAILED and "没有自动重发" in d.last_error


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_after_commit_and_comes_back_for_retries(users, tree, robots, settings):
    """notify_send queues the outbox task on commit; `duban worker` (django-tasks' db_worker)
    runs it; a row that must wait makes the task queue its own next run."""
    # the suite runs tasks inline (tests/conftest.py); this test is about the queue
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    robots.dingtalk["w"] = ""
    robots.wecom.add("busy")
    robots.force["busy"] = {"errcode": 45009, "errmsg": "api freq out of limit"}
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK, target=robots.dingtalk_url("w"))
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_b"], channel=Channel.WECOM, target=robots.wecom_url("busy"))
    with transaction.atomic():
        notify_send(units=[tree["town_a"], tree["town_b"]], subject="整改提醒", kind="reminder", dedup_key="wk:1")
        assert not DBTaskResult.objects.exists()  # nothing before the commit
    assert DBTaskResult.objects.count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert len(robots.posts) == 1 and Delivery.objects.get(channel=Channel.DINGTALK).status == DeliveryStatus.SENT
    waiting = Delivery.objects.get(channel=Channel.WECOM)
    assert waiting.status == DeliveryStatus.QUEUED and "发送过快" in waiting.last_error
    follow_up = DBTaskResult.objects.filter(status="READY").get()
    assert follow_up.run_after == waiting.next_attempt_at


@pytest.mark.django_db
def test_changing_a_robot_redirects_what_waits_and_removing_it_cancels(users, tree, robots):
    robots.dingtalk["new"] = ""
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK, target=robots.dingtalk_url("old"))
    notify_send(units=[tree["town_a"]], subject="整改提醒", kind="reminder", dedup_key="ch:1")
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK, target=robots.dingtalk_url("new"))
    assert outbox_deliver_due().sent == 1 and robots.posts[0]["token"] == "new"
    notify_send(units=[tree["town_a"]], subject="调度通知", kind="round", dedup_key="ch:2")
    unit_channel_set(actor=SystemActor("测试"), unit=tree["town_a"], channel=Channel.DINGTALK, target=None)
    assert outbox_deliver_due().posts == 0
    assert "已被删除" in Delivery.objects.get(message__dedup_key="ch:2").last_error
