"""Every write of the notify app: queueing a notice, delivering the outbox, the inbox's
read marks and the units' channel settings."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from duban.audit.services import audit_record
from duban.notify import senders
from duban.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    InboxItem,
    Message,
    RobotThrottle,
    UnitChannel,
)
from duban.orgs.models import Membership, OrgUnit

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_FIRST = 60  # seconds; doubles each attempt
BACKOFF_MAX = 3600
# A row claimed this long ago and still "sending" belongs to a worker that died mid-send.
STALE_CLAIM = dt.timedelta(minutes=15)


# ------------------------------------------------------------------ queueing


def notify_send(
    *,
    units: Iterable[OrgUnit] = (),
    users: Iterable = (),
    subject: str,
    body: str = "",
    kind: str,
    dedup_key: str,
) -> Message:
    """Queue one notice for `units` (their members' inboxes and the units' channels) and
    `users` (their inboxes and their e-mail addresses).

    Runs in the caller's transaction: the outbox rows commit with the caller's own write or
    not at all, and nothing is sent here — the worker sends after the commit. Calling again
    with the same `dedup_key` adds only the recipients that were not there yet.
    """
    units = list(units)
    users = list(users)
    with transaction.atomic():
        message = _message(subject=subject[:200], body=body, kind=kind, dedup_key=dedup_key)
        unit_ids = [u.pk for u in units]
        recipients = {u.pk for u in users}
        recipients |= set(Membership.objects.filter(unit_id__in=unit_ids).values_list("user_id", flat=True))
        InboxItem.objects.bulk_create(
            [InboxItem(user_id=uid, message=message) for uid in sorted(recipients)], ignore_conflicts=True
        )
        now = timezone.now()
        rows = []
        for cfg in UnitChannel.objects.filter(unit_id__in=unit_ids, enabled=True).order_by("unit_id", "channel"):
            # Addresses were checked when saved; splitting here never raises into the caller.
            targets = [a for a in senders.split_addresses(cfg.target) if a] if cfg.channel == Channel.EMAIL else [cfg.target]
            rows += [_delivery(message, cfg.channel, t, now, unit_id=cfg.unit_id, unit_channel=cfg) for t in targets]
        for user in get_user_model().objects.filter(pk__in=[u.pk for u in users]).exclude(email=""):
            rows.append(_delivery(message, Channel.EMAIL, user.email, now))
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        transaction.on_commit(_wake_worker)
    return message


def _message(**fields) -> Message:
    found = Message.objects.filter(dedup_key=fields["dedup_key"]).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return Message.objects.create(**fields)
    except IntegrityError:  # another request queued the same key a moment ago
        return Message.objects.get(dedup_key=fields["dedup_key"])


def _delivery(message: Message, channel: str, target: str, now, *, unit_id=None, unit_channel=None) -> Delivery:
    key = hashlib.sha256(f"{message.pk}\n{channel}\n{target.strip().lower()}".encode()).hexdigest()
    return Delivery(
        message=message, channel=channel, target=target.strip(), unit_id=unit_id, unit_channel=unit_channel,
        next_attempt_at=now, dedup_key=key,
    )


def _wake_worker() -> None:
    """Ask the worker to deliver now rather than at its next round (never sends in-process)."""
    try:
        from django_tasks import default_task_backend

        if type(default_task_backend).__name__ == "ImmediateBackend":
            return  # it would send inside this request
        from duban.notify.tasks import deliver_outbox

        deliver_outbox.enqueue()
    except Exception:  # the worker's own schedule picks the rows up anyway
        log.warning("could not queue the outbox task", exc_info=True)


# ------------------------------------------------------------------ reminders


@dataclass
class ReminderReport:
    name: str
    on: dt.date
    sent: list[str] = field(default_factory=list)  # units that got today's message now
    already: list[str] = field(default_factory=list)  # units that had it from an earlier run today
    unreachable: list[str] = field(default_factory=list)  # no members and no channel: nobody to tell
    previews: list = field(default_factory=list)  # the composed messages (what --dry-run prints)

    def __str__(self) -> str:
        text = f"{self.name}（{self.on:%Y-%m-%d}）：发给 {len(self.sent)} 个单位"
        if self.already:
            text += f"，{len(self.already)} 个单位今天已发过"
        if self.unreachable:
            text += f"，{len(self.unreachable)} 个单位没有成员也没有通知渠道（未发）"
        return text


def reminder_send(*, key: str, on: dt.date, actor: Any, dry_run: bool = False) -> ReminderReport:
    """Send the reminder `key` (core/reminders.py) for day `on`: one message per unit with
    something to say, to its members' inboxes and its channels, through the outbox.

    Idempotent by day: a unit that already has today's message (the schedule fired twice, or
    someone ran it by hand) is skipped, never sent twice. `dry_run` composes and writes nothing.
    """
    from duban.notify.reminders import compose, reminder_get

    reminder = reminder_get(key)
    composed = compose(reminder, on)
    report = ReminderReport(name=reminder.name, on=on, previews=composed)
    unit_ids = [c.unit.pk for c in composed]
    done = set(Message.objects.filter(dedup_key__in=[c.dedup_key for c in composed]).values_list("dedup_key", flat=True))
    reachable = set(Membership.objects.filter(unit_id__in=unit_ids).values_list("unit_id", flat=True))
    reachable |= set(UnitChannel.objects.filter(unit_id__in=unit_ids, enabled=True).values_list("unit_id", flat=True))
    to_send = []
    for c in composed:
        if c.dedup_key in done:
            report.already.append(c.unit.name)
        elif c.unit.pk not in reachable:
            report.unreachable.append(c.unit.name)
        else:
            report.sent.append(c.unit.name)
            to_send.append(c)
    if dry_run or not to_send:
        return report
    with transaction.atomic():
        for c in to_send:
            notify_send(units=[c.unit], subject=c.subject, body=c.body, kind=f"remind:{key}", dedup_key=c.dedup_key)
        audit_record(actor=actor, verb="reminder.send", object_type="notify.message", object_id=f"{key}:{on.isoformat()}",
                     object_repr=f"{reminder.name} {on:%Y-%m-%d}", changes={"发送单位数": [None, len(report.sent)]},
                     note="、".join(report.sent)[:2000])
    return report


# ------------------------------------------------------------------ delivering


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    waiting: int = 0  # held back by a robot's rate limit
    posts: int = 0  # HTTP posts / e-mails actually made
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"已发送 {self.sent} 条（{self.posts} 次发出），待重试 {self.retrying} 条，限流等待 {self.waiting} 条，失败 {self.failed} 条"


def outbox_deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> DeliveryReport:
    """Send what is due, merged per group or mailbox, within each robot's rate limit.

    Rows are claimed with one conditional UPDATE (queued → sending, stamped with this
    run's token): two workers running at once each get a disjoint set, so nothing is sent
    twice. Called by the worker and by `duban notify send`.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    _give_up_stale(now)
    token = uuid.uuid4().hex
    claimed = outbox_claim(now=now, token=token, limit=limit)
    groups: dict[tuple[str, str], list[Delivery]] = {}
    for row in claimed:
        groups.setdefault((row.channel, row.target), []).append(row)
    for (channel, target), rows in groups.items():
        _deliver_group(channel, target, rows, now, report)
    return report


def outbox_next_due() -> dt.datetime | None:
    """When the earliest waiting row falls due (None when nothing waits)."""
    return (
        Delivery.objects.filter(status=DeliveryStatus.QUEUED).order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True).first()
    )


def outbox_claim(*, now: dt.datetime, token: str, limit: int = 500) -> list[Delivery]:
    """Take the due rows for this run; a row another run took first is not returned."""
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )
    if not due:
        return []
    Delivery.objects.filter(pk__in=due, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, claimed_by=token, claimed_at=now
    )
    return list(
        Delivery.objects.filter(claimed_by=token, status=DeliveryStatus.SENDING)
        .select_related("message", "unit_channel").order_by("message__created_at", "pk")
    )


def _give_up_stale(now: dt.datetime) -> None:
    Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=DeliveryStatus.FAILED,
        last_error="发送过程中断（后台任务意外退出），不知是否已送达；为免重复，没有自动重发，请到群里或邮箱核实",
    )


def _deliver_group(channel: str, target: str, rows: list[Delivery], now: dt.datetime, report: DeliveryReport) -> None:
    pieces = [senders.Piece(r.message.subject, r.message.body) for r in rows]
    if channel == Channel.EMAIL:
        subject, body = senders.email_digest(pieces)
        try:
            senders.send_email([target], subject, body)
        except senders.SendError as exc:
            _failed(rows, exc, now, report)
            return
        report.posts += 1
        _sent(rows, now, report)
        return
    secret = next((r.unit_channel.secret for r in rows if r.unit_channel_id), "")
    for title, text, idx in senders.digest_chunks(pieces, senders.MAX_BYTES[channel]):
        part = [rows[i] for i in idx]
        wait_until = _reserve_slot(target, now)
        if wait_until is not None:
            # The rest of the group waits for the robot's next free minute (not an attempt).
            rest = [r for r in rows if r.status == DeliveryStatus.SENDING]
            _requeue(rest, wait_until, "", report)
            return
        try:
            if channel == Channel.DINGTALK:
                senders.send_dingtalk(target, secret, title, text)
            else:
                senders.send_wecom(target, text)
        except senders.SendError as exc:
            if exc.rate_limited:
                _robot_refused(target, now, exc.lock_seconds)
            rest = [r for r in rows if r.status == DeliveryStatus.SENDING]
            _failed(rest, exc, now, report)
            return
        _robot_ok(target)
        report.posts += 1
        _sent(part, now, report)


def _sent(rows: list[Delivery], now: dt.datetime, report: DeliveryReport) -> None:
    Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=DeliveryStatus.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=""
    )
    for r in rows:
        r.status = DeliveryStatus.SENT
    report.sent += len(rows)


def _failed(rows: list[Delivery], exc: senders.SendError, now: dt.datetime, report: DeliveryReport) -> None:
    report.errors.append(exc.message)
    for r in rows:
        attempts = r.attempts + 1
        if exc.retry and attempts < MAX_ATTEMPTS:
            delay = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
            if exc.rate_limited:
                delay = max(delay, exc.lock_seconds)
            r.status, r.next_attempt_at = DeliveryStatus.QUEUED, now + dt.timedelta(seconds=delay)
            report.retrying += 1
        else:
            r.status = DeliveryStatus.FAILED
            report.failed += 1
        if r.status == DeliveryStatus.QUEUED:
            when = timezone.localtime(r.next_attempt_at).strftime("%H:%M")
            note = f"；第 {attempts} 次未成功，{when} 自动重发"
        else:
            note = f"；已尝试 {attempts} 次，不再重发" if exc.retry else ""
        r.attempts, r.last_error = attempts, (exc.message + note)[:500]
        Delivery.objects.filter(pk=r.pk).update(
            status=r.status, attempts=r.attempts, last_error=r.last_error, next_attempt_at=r.next_attempt_at
        )


def _requeue(rows: list[Delivery], when: dt.datetime, note: str, report: DeliveryReport) -> None:
    Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(status=DeliveryStatus.QUEUED, next_attempt_at=when)
    for r in rows:
        r.status = DeliveryStatus.QUEUED
    report.waiting += len(rows)


# ------------------------------------------------------------------ robot rate limits


def _robot_key(target: str) -> str:
    return hashlib.sha256(target.encode()).hexdigest()


def _reserve_slot(target: str, now: dt.datetime) -> dt.datetime | None:
    """Take one of the robot's 20 sends of the current minute: None when taken, else the
    moment the robot can take the next one. The row lock keeps two workers' counts honest."""
    key = _robot_key(target)
    stamp = now.timestamp()
    with transaction.atomic():
        RobotThrottle.objects.get_or_create(key=key)
        row = RobotThrottle.objects.select_for_update().get(key=key)
        if row.blocked_until and row.blocked_until > now:
            return row.blocked_until
        recent = sorted(t for t in row.recent if stamp - t < 60)
        if len(recent) >= senders.ROBOT_PER_MINUTE:
            return dt.datetime.fromtimestamp(recent[0] + 60, tz=dt.UTC)
        row.recent = [*recent, stamp]
        row.save(update_fields=["recent"])
    return None


def _robot_refused(target: str, now: dt.datetime, lock_seconds: int) -> None:
    """The robot said "too fast": hold every send to it, doubling the pause each time in a row."""
    with transaction.atomic():
        row = RobotThrottle.objects.select_for_update().get(key=_robot_key(target))
        row.failures += 1
        pause = max(lock_seconds, min(60 * 2 ** (row.failures - 1), BACKOFF_MAX))
        row.blocked_until = now + dt.timedelta(seconds=pause)
        row.save(update_fields=["failures", "blocked_until"])


def _robot_ok(target: str) -> None:
    RobotThrottle.objects.filter(key=_robot_key(target), failures__gt=0).update(failures=0)


def send_now(channel: str, target: str, *, subject: str, body: str, secret: str = "") -> None:
    """Send one message immediately, outside the outbox (`duban notify test`). SendError on failure."""
    if channel == Channel.EMAIL:
        senders.send_email(senders.check_emails(target), subject, body)
    elif channel == Channel.DINGTALK:
        senders.send_dingtalk(senders.check_robot_url(target, channel), secret, subject, f"### {subject}\n\n{body}")
    else:
        senders.send_wecom(senders.check_robot_url(target, channel), f"### {subject}\n\n{body}")


# ------------------------------------------------------------------ inbox


def inbox_mark_read(*, user, item_ids: Iterable[int] | None = None) -> int:
    """Mark the user's items read (all unread ones when `item_ids` is None); returns how many."""
    qs = InboxItem.objects.filter(user_id=user.pk, read_at__isnull=True)
    if item_ids is not None:
        qs = qs.filter(pk__in=list(item_ids))
    return qs.update(read_at=timezone.now())


# ------------------------------------------------------------------ channel settings


KEEP = object()  # "leave this field as it is" (a blank secret field on the form)


def unit_channel_set(*, actor, unit: OrgUnit, channel: str, target: str | None, secret=KEEP, enabled: bool = True) -> UnitChannel | None:
    """Set (or with `target=None` remove) one channel of a unit.

    The audit row says what changed — "地址已更改", "密钥已设置" — never the values: the
    webhook URL carries the robot's token and the secret signs its messages.
    """
    with transaction.atomic():
        current = UnitChannel.objects.select_for_update().filter(unit=unit, channel=channel).first()
        label = Channel(channel).label
        if target is None:
            if current:
                Delivery.objects.filter(unit_channel=current, status=DeliveryStatus.QUEUED).update(
                    status=DeliveryStatus.FAILED, last_error="该单位的这个通知渠道已被删除，此条未发送"
                )
                current.delete()
                audit_record(actor=actor, verb="notify.channel.remove", object_type="notify.unitchannel", object_id=current.pk,
                             object_repr=f"{unit.name} · {label}", unit=unit, changes={"地址": ["已设置", "已删除"]})
            return None
        if channel == Channel.EMAIL:
            target = "，".join(senders.check_emails(target))
        else:
            target = senders.check_robot_url(target, channel)
        cfg = current or UnitChannel(unit=unit, channel=channel)
        changes: dict[str, list[str]] = {}
        if cfg.target != target:
            # E-mail addresses are not secret: the trail shows them; robot URLs only masked.
            shown = target if channel == Channel.EMAIL else senders.mask(target)
            before = cfg.target if channel == Channel.EMAIL else senders.mask(cfg.target)
            changes["地址"] = [before or "未设置", shown]
        if secret is not KEEP and (secret or "") != cfg.secret:
            changes["加签密钥"] = ["已设置" if cfg.secret else "未设置", "已更改" if secret else "已清除"]
            cfg.secret = (secret or "").strip()
        if cfg.enabled != enabled:
            changes["启用"] = [cfg.enabled, enabled]
        cfg.target, cfg.enabled = target, enabled
        if not changes and cfg.pk:
            return cfg
        cfg.save()
        if current and "地址" in changes and channel != Channel.EMAIL:
            # What waits for the old robot goes to the new one (the old may be gone).
            Delivery.objects.filter(unit_channel=cfg, status=DeliveryStatus.QUEUED).update(target=target)
        audit_record(actor=actor, verb="notify.channel.set", object_type="notify.unitchannel", object_id=cfg.pk,
                     object_repr=f"{unit.name} · {label}", unit=unit, changes=changes)
        return cfg
