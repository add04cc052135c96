"""The shared cache table (see core/cache.py), declared as a model so a migration creates it
(`duban migrate`, `demo` and `serve` all migrate) and `flush` empties it."""

from __future__ import annotations

from django.db import models

from duban.core.cache import TABLE


class CacheEntry(models.Model):
    """Exactly the columns Django's database cache reads and writes (as `createcachetable` makes them)."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = TABLE
        verbose_name = "缓存"
        verbose_name_plural = "缓存"

    def __str__(self) -> str:
        return self.cache_key


class CalendarYear(models.Model):
    """One year of the working-day calendar: whether the official notice has been entered.

    A year without a row, or with ``official=False``, counts Monday–Friday only and the
    office is warned (core/workcalendar.py)."""

    year = models.PositiveSmallIntegerField(primary_key=True, verbose_name="年份")
    official = models.BooleanField(default=False, verbose_name="已录入国务院放假安排")
    source = models.CharField(max_length=200, blank=True, verbose_name="依据")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="更新时间")
    updated_by = models.CharField(max_length=150, blank=True, verbose_name="更新人")

    class Meta:
        ordering = ["year"]
        verbose_name = "工作日历年份"
        verbose_name_plural = "工作日历年份"

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A date that differs from the Monday–Friday rule: a holiday or a make-up working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "放假"
        WORKDAY = "workday", "调休上班"

    date = models.DateField(primary_key=True, verbose_name="日期")
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name="类型")
    name = models.CharField(max_length=40, blank=True, verbose_name="名称")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="更新时间")
    updated_by = models.CharField(max_length=150, blank=True, verbose_name="更新人")

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class Schedule(models.Model):
    """Work the worker starts on its own at set times (core/schedules.py), e.g. every Friday 17:00."""

    class Rule(models.TextChoices):
        DAILY = "daily", "每天"
        WORKDAYS = "workdays", "每个工作日"
        WEEKLY = "weekly", "每周"
        INTERVAL = "interval", "每隔几分钟"

    key = models.SlugField(max_length=100, unique=True, verbose_name="标识")
    name = models.CharField(max_length=100, verbose_name="名称")
    task_path = models.CharField(max_length=200, verbose_name="任务")
    kwargs = models.JSONField(default=dict, blank=True, verbose_name="参数")
    rule = models.CharField(max_length=10, choices=Rule.choices, verbose_name="频次")
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name="星期（0=周一）")
    at = models.TimeField(null=True, blank=True, verbose_name="时间（北京时间）")
    every_minutes = models.PositiveIntegerField(null=True, blank=True, verbose_name="间隔分钟")
    enabled = models.BooleanField(default=True, verbose_name="启用")
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name="下次运行")
    last_run_at = models.DateTimeField(null=True, blank=True, verbose_name="上次运行")
    last_error = models.TextField(blank=True, verbose_name="上次启动失败原因")
    updated_by = models.CharField(max_length=150, blank=True, verbose_name="更新人")

    class Meta:
        ordering = ["key"]
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"

    def __str__(self) -> str:
        return self.name or self.key


class ScheduleRun(models.Model):
    """One due time of a schedule that was started: unique, so two workers cannot both start it."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs", verbose_name="定时任务")
    due_at = models.DateTimeField(verbose_name="应运行时间")
    started_at = models.DateTimeField(verbose_name="开始时间")
    task_result_id = models.CharField(max_length=64, blank=True, verbose_name="任务编号")
    worker = models.CharField(max_length=64, blank=True, verbose_name="执行进程")
    skipped = models.PositiveIntegerField(default=0, verbose_name="合并的错过次数")

    class Meta:
        ordering = ["-due_at"]
        constraints = [models.UniqueConstraint(fields=["schedule", "due_at"], name="schedule_run_once_per_due_time")]
        verbose_name = "定时任务运行"
        verbose_name_plural = "定时任务运行"

    def __str__(self) -> str:
        return f"{self.schedule} {self.due_at:%Y-%m-%d %H:%M}"
