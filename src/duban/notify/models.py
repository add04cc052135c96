"""Notifications: one message, its deliveries through the outbox, and the in-app inbox.

A `Message` is what a feature app asked to say (`notify_send`); each `Delivery` is one row of
the outbox — that message to one robot group or one mailbox — written in the caller's
transaction and sent later by `outbox_deliver_due` (the worker), never by the request.
The in-app inbox needs no sending: its `InboxItem` rows are written with the message.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    WECOM = "wecom", _("企业微信群机器人")


class UnitChannel(models.Model):
    """Where a unit's notices go outside duban: one robot group or mailbox list per channel.

    `target` is the robot's webhook URL (its access token or key is in it) or e-mail
    addresses separated by commas; `secret` is DingTalk's 加签 secret (SEC…). Neither is
    ever shown back in full nor written to the audit trail.
    """

    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="notify_channels", verbose_name=_("单位"))
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    target = models.CharField(_("地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True, default="")
    enabled = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    scope_field = "unit"

    class Meta:
        verbose_name = _("通知渠道")
        verbose_name_plural = _("通知渠道")
        constraints = [models.UniqueConstraint(fields=["unit", "channel"], name="unitchannel_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_channel_display()}"


class Message(models.Model):
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True, default="")
    kind = models.CharField(_("类别"), max_length=40)
    # The caller's idempotency key: the same key never makes a second message.
    dedup_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        return self.subject


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One outbox row: `message` to `target` over `channel`."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    target = models.CharField(_("地址"), max_length=500)
    # The unit whose settings named the target (its DingTalk secret is read at sending time).
    unit_channel = models.ForeignKey(UnitChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("单位"))
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True, default="")
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    claimed_by = models.CharField(max_length=40, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    # sha256 of (message, channel, target): the same message reaches one group once even
    # when two units share the group's robot.
    dedup_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "unit"

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.message} → {self.get_channel_display()}"


class InboxItem(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_items")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="inbox_items")
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        constraints = [models.UniqueConstraint(fields=["user", "message"], name="inboxitem_once_per_user")]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_unread")]

    def __str__(self) -> str:
        return f"{self.user} · {self.message}"


class RobotThrottle(models.Model):
    """Sends to one robot in the last minute, and how long the robot is locked.

    DingTalk and WeCom allow 20 messages a minute per robot; DingTalk then locks the robot
    for 10 minutes (errcode 130101). Keyed by a hash of the webhook URL so the token is not
    stored twice.
    """

    key = models.CharField(max_length=64, unique=True)
    recent = models.JSONField(default=list)  # epoch seconds of the sends in the last minute
    blocked_until = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)  # rate refusals in a row, for the backoff

    def __str__(self) -> str:
        return self.key[:12]
