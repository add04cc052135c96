"""Suggestions and appeals (意见建议 / 诉求) from every channel, their photos, replies and ratings.

A suggestion belongs to a unit (`unit`, the scoping field): the campaign's lead unit until
the office routes it, then the unit that handles it. The submitter follows it with an
unguessable tracking code (查询码) and nothing else; name and phone are private.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.choices import choice_from_label

# Crockford-like alphabet without look-alikes (0/O, 1/I/L, U): easy to read out on the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 30**12 ≈ 5.3e17 (59 bits); look-ups are rate limited per IP


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a person typed ("abcd-efgh-jkmn", with spaces or dashes) → the stored form."""
    return "".join(ch for ch in (text or "").upper() if ch.isascii() and ch.isalnum())


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class Kind(models.TextChoices):
    SUGGESTION = "suggestion", _("意见建议")
    ISSUE = "issue", _("问题反映")
    ENTERPRISE = "enterprise", _("企业诉求")
    CLUE = "clue", _("举报线索")

    @classmethod
    def from_label(cls, text: str) -> Kind | None:
        aliases = {"建议": cls.SUGGESTION, "意见": cls.SUGGESTION, "问题": cls.ISSUE, "反映": cls.ISSUE, "投诉": cls.ISSUE,
                   "企业": cls.ENTERPRISE, "诉求": cls.ENTERPRISE, "举报": cls.CLUE, "线索": cls.CLUE, "问题线索": cls.CLUE}
        return choice_from_label(cls, text, aliases)


class Channel(models.TextChoices):
    WEB = "web", _("网上留言")
    HOTLINE = "hotline", _("热线电话")
    BOX = "box", _("意见箱")
    FORUM = "forum", _("座谈会")
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    OTHER = "other", _("其他")

    @classmethod
    def from_label(cls, text: str) -> Channel | None:
        aliases = {
            "网站": cls.WEB, "网络": cls.WEB, "网上": cls.WEB, "手机": cls.WEB, "微信": cls.WEB, "在线": cls.WEB, "网上留言板": cls.WEB,
            "留言": cls.WEB, "热线": cls.HOTLINE, "电话": cls.HOTLINE, "12345": cls.HOTLINE, "12345热线": cls.HOTLINE,
            "意见箱": cls.BOX, "意见信箱": cls.BOX, "建议箱": cls.BOX, "座谈": cls.FORUM, "座谈会": cls.FORUM, "征求意见座谈会": cls.FORUM,
            "信件": cls.LETTER, "来信": cls.LETTER, "信函": cls.LETTER, "群众来信": cls.LETTER, "来访": cls.VISIT, "走访": cls.VISIT,
            "上访": cls.VISIT, "信访": cls.VISIT, "其他": cls.OTHER, "其它": cls.OTHER,
        }
        return choice_from_label(cls, text, aliases)


class Status(models.TextChoices):
    NEW = "new", _("待分拣")
    ASSIGNED = "assigned", _("办理中")
    REPLIED = "replied", _("已答复")
    CLOSED = "closed", _("已办结")
    REOPENED = "reopened", _("重新办理")
    # Clues (举报线索) only: checked (核查中), then concluded here (查结, CLOSED) or handed to
    # the authority they belong to (转办, with where to).
    VERIFYING = "verifying", _("核查中")
    TRANSFERRED = "transferred", _("已转办")


# What a citizen reads on the public tracking page: 待分拣 is the office's inbox word, and
# to the person who wrote in, the message has been received and accepted (受理).
PUBLIC_STATUS = {
    Status.NEW: "已受理", Status.ASSIGNED: "办理中", Status.REPLIED: "已答复",
    Status.CLOSED: "已办结", Status.REOPENED: "重新办理中", Status.VERIFYING: "核查中", Status.TRANSFERRED: "已转办",
}


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class RatingSource(models.TextChoices):
    """How a rating was given: by the submitter on the tracking page, or on a phone callback."""

    WEB = "web", _("网上评价")
    CALLBACK = "callback", _("电话回访")


HANDLED = (Status.REPLIED, Status.CLOSED, Status.TRANSFERRED)
# Statuses in which an item is still being worked on.
OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.REOPENED, Status.VERIFYING)


class Suggestion(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="suggestions", verbose_name=_("活动"))
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="suggestions", verbose_name=_("办理单位"))
    region = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False)
    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True, default=new_tracking_code, editable=False)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices, default=Kind.SUGGESTION)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices, default=Channel.WEB, db_index=True)
    title = models.CharField(_("留言主题"), max_length=200)
    body = models.TextField(_("留言详情"))
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True, default="")
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True, default="")
    place = models.CharField(_("地点或单位"), max_length=200, blank=True, default="")
    place_unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("所属单位")
    )
    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    focus_area = models.ForeignKey(
        "campaigns.FocusArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions", verbose_name=_("聚焦领域")
    )
    label = models.CharField(_("分类标签"), max_length=60, blank=True, default="")
    routed_at = models.DateTimeField(_("分拣时间"), null=True, blank=True)
    due_date = models.DateField(_("答复时限"), null=True, blank=True)
    # The ledger problem this became or joined: an id, not a foreign key, so intake does
    # not depend on the ledger's migrations (the ledger service resolves it).
    problem_id = models.BigIntegerField(_("关联问题"), null=True, blank=True, db_index=True)
    reply = models.TextField(_("答复意见"), blank=True, default="")
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("答复人")
    )
    rating = models.CharField(_("满意度"), max_length=20, choices=Rating.choices, blank=True, default="")
    rating_comment = models.TextField(_("评价意见"), blank=True, default="")
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    rating_source = models.CharField(_("评价方式"), max_length=20, choices=RatingSource.choices, blank=True, default="")
    transferred_to = models.CharField(_("转办至"), max_length=200, blank=True, default="")
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("登记人")
    )
    source_hash = models.CharField(max_length=16, blank=True, default="", editable=False)  # salted hash of the submitter IP
    extra = models.JSONField(_("其他列"), default=dict, blank=True)
    # The character bigrams of title, body and place: the inbox's text search index
    # (core/textsearch.py; GIN on PostgreSQL, FTS5 on SQLite, migration 0010).
    search_terms = models.TextField(default="", blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_field = "unit"
    SEARCHED = ("title", "body", "place")

    class Meta:
        verbose_name = _("意见建议")
        verbose_name_plural = _("意见建议")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "status"], name="sugg_campaign_status"),
            models.Index(fields=["unit", "status"], name="sugg_unit_status"),
            # The inbox tabs count a campaign by channel and by kind: index-only, not a
            # read of every suggestion's text.
            models.Index(fields=["campaign", "channel"], name="sugg_campaign_channel"),
            models.Index(fields=["campaign", "kind"], name="sugg_campaign_kind"),
            # The inbox filtered by focus area: its page count index-only (a province's area
            # of 411,000 items was a parallel scan of every suggestion, 0.2 s).
            models.Index(fields=["campaign", "focus_area"], name="sugg_campaign_area"),
            # The office's 待分拣 list (我的待办), oldest first: an ordered walk of the few
            # unsorted items, not a sort of a province's (4.4 s at 534,000 suggestions).
            models.Index(fields=["submitted_at", "id"], name="sugg_unsorted_idx", condition=models.Q(status__in=["new", "reopened"])),
        ]

    def __str__(self) -> str:
        return self.title[:60]

    def save(self, *args, **kwargs) -> None:
        # A derived column kept with the row it derives from (not a signal): every save
        # of the searched text refreshes its terms; a new row joins the SQLite FTS table.
        fields = kwargs.get("update_fields")
        if fields is None or set(fields) & set(self.SEARCHED):
            self.fill_search_terms()
            if fields is not None:
                kwargs["update_fields"] = {*fields, "search_terms"}
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            from duban.intake.search import INDEX

            INDEX.index_new(self.pk, self.pk)

    def fill_search_terms(self) -> None:
        from duban.intake.search import INDEX

        self.search_terms = INDEX.terms(*(getattr(self, f) for f in self.SEARCHED))

    @property
    def code_display(self) -> str:
        return format_code(self.tracking_code)

    @property
    def public_status_display(self) -> str:
        return PUBLIC_STATUS.get(self.status, "办理中")

    @property
    def is_handled(self) -> bool:
        return self.status in HANDLED

    @property
    def reply_days(self) -> float | None:
        if self.replied_at is None:
            return None
        return (self.replied_at - self.submitted_at).total_seconds() / 86400


class Callback(models.Model):
    """One phone callback (电话回访) by the office: the result feeds satisfaction like a web
    rating does, and 不满意 reopens the item (through the workflow)."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="callbacks", verbose_name=_("意见建议"))
    result = models.CharField(_("回访结果"), max_length=20, choices=Rating.choices)
    note = models.TextField(_("回访记录"), blank=True, default="")
    caller = models.CharField(_("回访人"), max_length=60)
    called_at = models.DateTimeField(_("回访时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "suggestion__unit"

    class Meta:
        verbose_name = _("电话回访")
        verbose_name_plural = _("电话回访")
        ordering = ["called_at", "id"]

    def __str__(self) -> str:
        return f"{self.caller} {self.get_result_display()}"


class Photo(models.Model):
    """A photo sent with a suggestion; content-sniffed on upload, served only inside scope."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="intake/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "suggestion__unit"

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name
