"""Routing models, their predictions, the office's corrections (training data), hot issues."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    AREA = "area", _("聚焦领域")
    LABEL = "label", _("分类标签")
    UNIT = "unit", _("办理单位")


class RouterModel(models.Model):
    """One trained router on disk (under DUBAN_DATA_DIR/models) with its version and metrics."""

    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("活动"))
    target = models.CharField(_("预测对象"), max_length=10, choices=Target.choices)
    version = models.CharField(_("版本"), max_length=80)
    path = models.CharField(_("文件"), max_length=500)
    source = models.CharField(_("训练数据"), max_length=200, blank=True, default="")
    labels = models.JSONField(_("类别"), default=list, blank=True)
    metrics = models.JSONField(_("交叉验证指标"), default=dict, blank=True)
    n_train = models.PositiveIntegerField(_("训练样本数"), default=0)
    trained_at = models.DateTimeField(_("训练时间"))
    trained_by = models.CharField(_("训练人"), max_length=150, blank=True, default="")
    is_active = models.BooleanField(_("启用"), default=True)

    scope_field = "campaign__unit"

    class Meta:
        verbose_name = _("分拣模型")
        verbose_name_plural = _("分拣模型")
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.version}"


class Prediction(models.Model):
    """The router's top three for one suggestion and one target, kept until it is routed."""

    suggestion = models.ForeignKey("intake.Suggestion", on_delete=models.CASCADE, related_name="predictions")
    target = models.CharField(max_length=10, choices=Target.choices)
    model = models.ForeignKey(RouterModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    top = models.JSONField(default=list)  # [{"label": str, "confidence": float, "id": int|None, "name": str}]
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "suggestion__unit"

    class Meta:
        verbose_name = _("分拣建议")
        verbose_name_plural = _("分拣建议")
        constraints = [models.UniqueConstraint(fields=["suggestion", "target"], name="prediction_unique_target")]

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.target}"


class TrainingExample(models.Model):
    """A routing decision by the office: confirmations and corrections feed the next training."""

    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    suggestion = models.ForeignKey("intake.Suggestion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target = models.CharField(max_length=10, choices=Target.choices)
    text = models.TextField()
    label = models.CharField(max_length=120)
    predicted = models.CharField(max_length=120, blank=True, default="")
    corrected = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "campaign__unit"

    class Meta:
        verbose_name = _("训练样本")
        verbose_name_plural = _("训练样本")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "target"], name="trainex_campaign_target")]

    def __str__(self) -> str:
        return f"{self.target}: {self.label}"


class HotIssueRun(models.Model):
    """One clustering run over a set of messages (the campaign's suggestions or a file)."""

    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("数据来源"), max_length=200)
    started_at = models.DateTimeField(_("运行时间"))
    seconds = models.FloatField(_("用时（秒）"), default=0)
    n_messages = models.PositiveIntegerField(_("留言数"), default=0)
    n_issues = models.PositiveIntegerField(_("热点数"), default=0)
    n_single = models.PositiveIntegerField(_("单条留言数"), default=0)  # messages no other message joins

    scope_field = "campaign__unit"

    class Meta:
        verbose_name = _("热点分析")
        verbose_name_plural = _("热点分析")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def n_hot_messages(self) -> int:
        """Messages that belong to a hot issue (the others are single messages)."""
        return max(self.n_messages - self.n_single, 0)


class HotIssue(models.Model):
    run = models.ForeignKey(HotIssueRun, on_delete=models.CASCADE, related_name="issues")
    rank = models.PositiveIntegerField(_("排名"))
    title = models.CharField(_("热点问题"), max_length=300)
    size = models.PositiveIntegerField(_("留言数"))
    users = models.PositiveIntegerField(_("留言人数"), default=0)
    support = models.IntegerField(_("点赞数"), default=0)
    score = models.FloatField(_("热度"), default=0)
    first_at = models.DateTimeField(_("最早"), null=True, blank=True)
    last_at = models.DateTimeField(_("最近"), null=True, blank=True)
    places = models.JSONField(_("地点"), default=list, blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    messages = models.JSONField(_("留言"), default=list, blank=True)  # [{id, title, time, user, likes, excerpt, suggestion_id}]

    class Meta:
        verbose_name = _("热点问题")
        verbose_name_plural = _("热点问题")
        ordering = ["run", "rank"]

    def __str__(self) -> str:
        return self.title
