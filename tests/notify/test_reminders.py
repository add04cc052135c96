"""The first users of the machinery (issue 10 item 8): the daily reminders of nearly due and
overdue problems, suggestions past their reply limit, and the office's digest — composed
per unit, sent once a day, through the outbox to robots on 127.0.0.1 and to the inbox."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from duban.core.actors import WORKER, SystemActor
from duban.core.dates import today
from duban.intake.models import Suggestion
from duban.intake.services import suggestion_route, suggestion_submit
from duban.ledger.demo import tiny_png
from duban.ledger.services import (
    problem_add_evidence,
    problem_create,
    problem_request_extension,
    problem_transition,
)
from duban.notify.models import Channel, Delivery, DeliveryStatus, InboxItem, Message
from duban.notify.services import reminder_send, unit_channel_set

TESTER = SystemActor("测试")

# Wednesday 30 Sep 2026: 国庆 runs 1–7 Oct and Saturday 10 Oct is a 调休 working day, so
# "within 3 working days" reaches Saturday 10 Oct (a weekday count would stop at 5 Oct).
ON = dt.date(2026, 9, 30)


def problem(campaign, unit, deadline, text="问题"):
    return problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description=text, unit=unit, deadline=deadline)


def inbox(user) -> list[Message]:
    return [i.message for i in InboxItem.objects.filter(user=user).select_related("message").order_by("pk")]


@pytest.mark.django_db
def test_one_digest_per_unit_of_what_is_overdue_or_due_within_3_working_days(tree, users, campaign):
    problem(campaign, tree["town_a"], dt.date(2026, 9, 29), "集市占道经营")  # overdue
    problem(campaign, tree["town_a"], dt.date(2026, 10, 10), "路灯不亮")  # the 调休 Saturday: 3rd working day
    problem(campaign, tree["town_a"], dt.date(2026, 10, 12), "远期问题甲")  # 4th working day: not yet
    problem(campaign, tree["town_b"], dt.date(2026, 10, 12), "远期问题乙")  # town B: nothing due
    report = reminder_send(actor=WORKER, key="ledger-due", on=ON)
    assert report.sent == ["平安镇"] and not report.already
    [msg] = inbox(users["liaison_a"])
    assert msg.subject == "平安镇：整改问题到期提醒（2026-09-30）"
    assert "逾期 1 条，3 个工作日内到期 1 条" in msg.body
    assert "集市占道经营（逾期 1 天）" in msg.body and "路灯不亮（10-10 到期）" in msg.body and "远期" not in msg.body
    assert inbox(users["liaison_b"]) == []  # nothing due, nothing sent
    # The schedule fires again the same day (or someone runs it by hand): nothing more.
    again = reminder_send(actor=WORKER, key="ledger-due", on=ON)
    assert again.sent == [] and again.already == ["平安镇"]
    assert Message.objects.count() == 1 and InboxItem.objects.count() == 1
    # The next working day (after the holiday) is another day's message, and 12 Oct is now near.
    assert reminder_send(actor=WORKER, key="ledger-due", on=dt.date(2026, 10, 8)).sent == ["平安镇", "洮河镇"]


@pytest.mark.django_db
def test_submitted_and_signed_off_problems_are_not_the_units_to_do(tree, users, campaign):
    p = problem(campaign, tree["town_a"], dt.date(2026, 9, 1))
    problem_transition(actor=users["liaison_a"], problem=p, name="claim")
    problem_add_evidence(actor=users["liaison_a"], problem=p, name="现场.png", data=tiny_png())
    problem_transition(actor=users["liaison_a"], problem=p, name="submit")
    assert reminder_send(actor=WORKER, key="ledger-due", on=ON).sent == []  # waiting on the office now, not on the town


@pytest.mark.django_db
def test_the_first_five_are_listed_with_links_and_the_rest_counted(tree, users, campaign, settings):
    settings.DUBAN_SITE_URL = "https://duban.example.gov.cn"
    made = [problem(campaign, tree["town_a"], dt.date(2026, 9, 20 + i), f"第{i}个问题") for i in range(7)]
    reminder_send(actor=WORKER, key="ledger-due", on=ON)
    [msg] = inbox(users["liaison_a"])
    assert "逾期 7 条" in msg.body
    for p in made[:5]:
        assert f"https://duban.example.gov.cn/ledger/{p.pk}/" in msg.body
    assert f"/ledger/{made[5].pk}/" not in msg.body
    assert "另有 2 条，全部：https://duban.example.gov.cn/ledger/mine/" in msg.body


@pytest.mark.django_db
def test_suggestions_past_their_reply_limit_go_to_the_handling_unit(tree, users, campaign):
    late = suggestion_route(actor=TESTER, skip_checks=True, unit=tree["town_a"],
                            suggestion=suggestion_submit(actor=TESTER, skip_checks=True, campaign=campaign, title="村口路灯坏了",
                                                         body="村口路灯坏了很久。"))
    phone = suggestion_route(actor=TESTER, skip_checks=True, unit=tree["town_a"],
                             suggestion=suggestion_submit(actor=TESTER, skip_checks=True, campaign=campaign, title="漏水请回电13812345678",
                                                          body="楼道漏水。"))
    fresh = suggestion_route(actor=TESTER, skip_checks=True, unit=tree["town_b"],
                             suggestion=suggestion_submit(actor=TESTER, skip_checks=True, campaign=campaign, title="公交太少", body="建议增加公交。"))
    Suggestion.objects.filter(pk=late.pk).update(due_date=dt.date(2026, 9, 25))
    Suggestion.objects.filter(pk=phone.pk).update(due_date=dt.date(2026, 9, 28))
    Suggestion.objects.filter(pk=fresh.pk).update(due_date=dt.date(2026, 10, 20))
    report = reminder_send(actor=WORKER, key="intake-late", on=ON)
    assert report.sent == ["平安镇"]
    [msg] = inbox(users["liaison_a"])
    assert "意见建议超过答复时限未答复 2 条" in msg.body and "村口路灯坏了（时限 09-25，已超 5 天）" in msg.body
    # A digest goes to group chats: a phone number typed into a title is masked there.
    assert "漏水请回电138****5678（时限 09-28，已超 2 天）" in msg.body and "13812345678" not in msg.body
    assert f"/intake/{late.pk}/" in msg.body and f"/intake/?overdue=1&unit={tree['town_a'].pk}" in msg.body
    assert inbox(users["liaison_b"]) == []


@pytest.mark.django_db
def test_the_office_gets_one_digest_of_signoffs_extensions_and_unrouted(tree, users, campaign):
    a = problem(campaign, tree["town_a"], dt.date(2026, 12, 31), "待销号的问题")
    problem_transition(actor=users["liaison_a"], problem=a, name="claim")
    problem_add_evidence(actor=users["liaison_a"], problem=a, name="现场.png", data=tiny_png())
    problem_transition(actor=users["liaison_a"], problem=a, name="submit")
    b = problem(campaign, tree["town_b"], dt.date(2026, 12, 31), "要延期的问题")
    problem_request_extension(actor=users["liaison_b"], problem=b, until=dt.date(2027, 3, 31), reason="资金未到位")
    suggestion_submit(actor=TESTER, skip_checks=True, campaign=campaign, title="没分拣的留言", body="建议修路。")
    report = reminder_send(actor=WORKER, key="office-waiting", on=ON)
    assert report.sent == ["洮北区"]  # the campaign's lead unit: the office and the leader belong to it
    [msg] = inbox(users["office"])
    assert inbox(users["leader"]) == [msg] and inbox(users["liaison_a"]) == []
    assert msg.subject == "洮北区：待审核、待分拣事项汇总（2026-09-30）"
    body = msg.body
    assert "待审核：申请销号 1 条，申请延期 1 条" in body and "待销号的问题（申请销号）" in body
    assert "要延期的问题（申请延期至 2027-03-31）" in body
    assert body.index("待审核") < body.index("待分拣的意见建议 1 条")  # ledger's part first, then intake's


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_a_unit_nobody_reads_is_reported(tree, users, campaign):
    problem(campaign, tree["town_a"], dt.date(2026, 9, 29))
    problem(campaign, tree["village_b1"], dt.date(2026, 9, 29))  # 三村: no members, no channel
    report = reminder_send(actor=WORKER, key="ledger-due", on=ON, dry_run=True)
    assert report.sent == ["平安镇"] and report.unreachable == ["三村"] and len(report.previews) == 2
    assert not Message.objects.exists()
    out = io.StringIO()
    call_command("remind", "run", "ledger-due", "--dry-run", "--date", "2026-09-30", stdout=out)
    assert "试运行，未发送" in out.getvalue() and "平安镇：整改问题到期提醒（2026-09-30）" in out.getvalue()
    assert not Message.objects.exists()
    out = io.StringIO()
    call_command("remind", "run", "--date", "2026-09-30", stdout=out)
    assert "整改到期提醒（2026-09-30）：发给 1 个单位，1 个单位没有成员也没有通知渠道（未发）" in out.getvalue()
    with pytest.raises(CommandError, match="没有名为“bogus”的提醒"):
        call_command("remind", "run", "bogus", stdout=io.StringIO())


@pytest.mark.django_db
def test_each_declared_reminder_has_a_schedule_every_working_day_at_10(settings):
    from django.apps import apps

    from duban.core.reminders import ReminderSource, reminder_sources

    specs = {s.key: s for s in apps.get_app_config("notify").schedules}
    for key in ("ledger-due", "intake-late", "office-waiting"):
        s = specs[f"remind-{key}"]
        assert (s.task_path, s.rule, s.at, s.kwargs) == ("duban.notify.tasks.send_reminder", "workdays", dt.time(10, 0), {"key": key})
    # A part contributed to a reminder nobody declares is an error at start, not silence at 10:00.
    ledger = apps.get_app_config("ledger")
    cls = type(ledger)
    original = cls.reminder_parts
    try:
        cls.reminder_parts = property(lambda self: [ReminderSource("ledger-dew", lambda on: [])])
        with pytest.raises(ValueError, match="ledger-dew"):
            reminder_sources()
    finally:
        cls.reminder_parts = original


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_10_oclock_schedule_and_delivers_to_the_group_and_the_inbox(tree, users, campaign, robots, settings):
    """schedule due → the worker loop → Delivery rows → the DingTalk robot on 127.0.0.1 (signature
    checked) and the inbox; a second firing the same day sends nothing more."""
    from duban.core import schedules
    from duban.core.background import ScheduleWorker
    from duban.core.models import Schedule

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    secret = "SECreminder0123456789"
    robots.dingtalk["town-a"] = secret
    unit_channel_set(actor=TESTER, unit=tree["town_a"], channel=Channel.DINGTALK, target=robots.dingtalk_url("town-a"), secret=secret)
    problem(campaign, tree["town_a"], today() - dt.timedelta(days=2), "集市占道经营")
    schedules.schedules_sync(now=dt.datetime.combine(today(), dt.time(0, 0), tzinfo=schedules.TZ))
    s = Schedule.objects.get(key="remind-ledger-due")
    Schedule.objects.exclude(pk=s.pk).update(enabled=False)

    def run_worker(at):
        ScheduleWorker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                       max_tasks=None, worker_id="w", excluded_queue_names=[], clock=lambda: at, schedule_every=0).run()

    run_worker(s.next_run_at + dt.timedelta(seconds=1))
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.SENT and d.unit_id == tree["town_a"].pk
    assert len(robots.posts) == 1 and "集市占道经营（逾期 2 天）" in str(robots.posts[0])
    assert [m.subject for m in inbox(users["liaison_a"])] == [f"平安镇：整改问题到期提醒（{today():%Y-%m-%d}）"]
    # Fired again the same day (the office moved the time, a second worker…): nothing new.
    Schedule.objects.filter(pk=s.pk).update(next_run_at=s.next_run_at + dt.timedelta(hours=1))
    run_worker(s.next_run_at + dt.timedelta(hours=1, seconds=1))
    assert Delivery.objects.count() == 1 and len(robots.posts) == 1 and Message.objects.count() == 1


@pytest.mark.django_db
def test_the_inbox_links_the_paths_and_escapes_the_text(tree, users, campaign, client_for):
    p = problem(campaign, tree["town_a"], dt.date(2026, 9, 29), "<script>alert(1)</script>占道")
    reminder_send(actor=WORKER, key="ledger-due", on=ON)
    html = client_for(users["liaison_a"]).get("/notify/inbox/").content.decode()
    assert f'<a href="/ledger/{p.pk}/">/ledger/{p.pk}/</a>' in html
    assert '查看：<a href="/ledger/mine/">/ledger/mine/</a>' in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
