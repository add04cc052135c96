"""`duban import suggestions` / `duban export suggestions`: the 意见建议 ledger of DESIGN §5.

Columns: 留言主题, 留言详情, 渠道, 提交时间 (optional 联系人, 联系电话, 所属单位, and 类别).
Opinions collected on paper (意见箱), at symposia (座谈会), in letters or on the phone are
typed into this sheet and imported at once: the whole file or nothing, with row/column
messages. Extra columns are kept on each suggestion.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from duban.campaigns.models import Campaign
from duban.core.dates import DateParseError, parse_date
from duban.core.xlsx import (
    CellError,
    Column,
    ImportRejected,
    SkippedRow,
    Source,
    describe_skipped,
    read_table,
    text,
    write_table,
)
from duban.intake.models import Channel, Kind, Status, Suggestion, new_tracking_code
from duban.intake.privacy import contact_shown, text_shown
from duban.intake.services import (
    MAX_BODY,
    MAX_TITLE,
    PHONE_RE,
    require_role,
    suggestions_bulk_create,
    title_from_body,
)
from duban.orgs.matching import UnitMatcher
from duban.orgs.models import Role

# The columns and the other names offices give them (docs/ledger.md lists the same).
SUGGESTION_LAYOUT = [
    Column("留言主题", required=True, aliases=("主题", "标题", "意见主题", "意见标题", "建议标题")),
    Column("留言详情", required=True, aliases=(
        "内容", "详情", "意见建议内容", "留言内容", "意见建议", "具体内容", "意见建议具体内容", "诉求内容", "反映内容")),
    Column("渠道", required=True, aliases=("来源渠道", "征集渠道", "收集渠道", "反映渠道", "来源")),
    Column("提交时间", required=True, aliases=("留言时间", "收集时间", "反映时间", "收集日期", "提出时间", "时间", "日期")),
    Column("联系人", aliases=("姓名", "留言人", "留言用户", "反映人", "提出人")),
    Column("联系电话", aliases=("电话", "手机", "手机号", "联系方式")),
    Column("所属单位", aliases=("单位", "涉及单位")),
    Column("类别", aliases=("类型", "诉求类别")),
]
# No 查询码: the tracking code is the submitter's key to rating the reply, never shown to staff.
EXPORT_HEADER = ["留言主题", "留言详情", "渠道", "提交时间", "联系人", "联系电话", "所属单位", "类别",
                 "状态", "办理单位", "聚焦领域", "分类标签", "答复意见", "答复时间", "满意度", "评价意见"]
_TIME = re.compile(r"(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?")
PLACE_MAX = Suggestion._meta.get_field("place").max_length


@dataclass
class ImportResult:
    created: int
    rows: int
    by_channel: Counter = field(default_factory=Counter)
    campaign: str = ""
    skipped: list[SkippedRow] = field(default_factory=list)  # title, 填报, note… rows of the file, with why

    def summary(self) -> str:
        parts = "、".join(f"{k} {v}" for k, v in self.by_channel.most_common())
        skipped = f"；{describe_skipped(self.skipped)}" if self.skipped else ""
        return f"导入完成：新建意见建议 {self.created} 条（共 {self.rows} 行；{parts}）；活动：{self.campaign}{skipped}"


def parse_when(value: Any) -> dt.datetime | None:
    """A submission time as offices type it; a date alone means 09:00 that day (local time)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        naive = value
    else:
        day = parse_date(value)  # raises DateParseError
        if day is None:
            return None
        naive = dt.datetime.combine(day, dt.time(9, 0))
        if isinstance(value, float) and not value.is_integer():  # an Excel serial with a time part
            naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(days=value % 1)
        elif isinstance(value, str):
            m = _TIME.search(value.split(" ", 1)[1] if " " in value.strip() else "")
            if m:
                naive = dt.datetime.combine(day, dt.time(int(m.group(1)) % 24, int(m.group(2)), int(m.group(3) or 0)))
    if timezone.is_naive(naive):
        return timezone.make_aware(naive)
    return naive


def resolve_campaign(campaign_id: int | None) -> Campaign:
    qs = Campaign.objects.select_related("unit")
    campaign = qs.filter(pk=campaign_id).first() if campaign_id else qs.filter(is_active=True).order_by("-start_date", "-id").first()
    if campaign is None:
        raise ImportRejected([CellError(0, "", f"找不到活动 {campaign_id}" if campaign_id else "还没有进行中的活动，请先建立活动")])
    return campaign


def suggestions_import(*, actor, source: Source, campaign: Campaign, max_bytes: int | None = None) -> ImportResult:
    """Create every row as a new suggestion of `campaign`, or refuse the whole file."""
    if getattr(actor, "pk", None) is not None:
        require_role(actor, campaign.unit, Role.OFFICE, message="只有推进办可以导入意见建议")
    table = read_table(source, SUGGESTION_LAYOUT, max_bytes=max_bytes)
    matcher = UnitMatcher(campaign.unit.subtree())
    errors: list[CellError] = []
    rows: list[Suggestion] = []
    counts: Counter = Counter()
    now = timezone.now()
    for rownum, cells in table.rows:
        body = text(table.get(cells, "留言详情"))
        title = text(table.get(cells, "留言主题"))
        if not body and not title:
            errors.append(CellError(rownum, "留言详情", "留言主题和留言详情不能都为空"))
        body = body or title
        if len(body) > MAX_BODY:
            errors.append(CellError(rownum, "留言详情", f"超过 {MAX_BODY} 字"))
        if len(title) > MAX_TITLE:
            errors.append(CellError(rownum, "留言主题", f"超过 {MAX_TITLE} 字"))
        channel_text = text(table.get(cells, "渠道"))
        channel = Channel.from_label(channel_text) if channel_text else None
        if not channel_text:
            errors.append(CellError(rownum, "渠道", "不能为空"))
        elif channel is None:
            errors.append(CellError(rownum, "渠道", f"未知渠道“{channel_text}”；可用：{'、'.join(str(c.label) for c in Channel)}"))
        try:
            when = parse_when(table.get(cells, "提交时间"))
            if when is None:
                errors.append(CellError(rownum, "提交时间", "不能为空"))
            elif when > now + dt.timedelta(days=1):
                errors.append(CellError(rownum, "提交时间", f"提交时间“{text(table.get(cells, '提交时间'))}”晚于今天"))
        except DateParseError as exc:
            when = None
            errors.append(CellError(rownum, "提交时间", str(exc)))
        kind_text = text(table.get(cells, "类别"))
        kind = Kind.from_label(kind_text) if kind_text else Kind.SUGGESTION
        if kind is None:
            errors.append(CellError(rownum, "类别", f"未知类别“{kind_text}”；可用：{'、'.join(str(c.label) for c in Kind)}"))
        phone = text(table.get(cells, "联系电话"))
        if phone and not PHONE_RE.match(phone):
            errors.append(CellError(rownum, "联系电话", f"联系电话“{phone}”格式不正确"))
        unit_text = text(table.get(cells, "所属单位"))
        unit_id = campaign.unit_id
        if unit_text:
            resolved = matcher.resolve(unit_text)
            if isinstance(resolved, str):
                errors.append(CellError(rownum, "所属单位", resolved))
            else:
                unit_id = resolved
        if errors:
            continue
        counts[str(Channel(channel).label)] += 1
        rows.append(
            Suggestion(
                campaign=campaign,
                unit_id=unit_id,
                place_unit_id=unit_id if unit_text else None,
                place=unit_text[:PLACE_MAX],  # the unit itself is kept in place_unit
                tracking_code=new_tracking_code(),
                kind=kind,
                channel=channel,
                title=title or title_from_body(body),
                body=body,
                contact_name=text(table.get(cells, "联系人"))[:60],
                contact_phone=phone[:40],
                submitted_at=when,
                status=Status.NEW,
                extra=table.extra_values(cells),
            )
        )
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([CellError(0, "", "表中没有数据行")])
    created = suggestions_bulk_create(actor=actor, rows=rows, note="导入意见建议")
    return ImportResult(created=len(created), rows=len(table.rows), by_channel=counts, campaign=campaign.name, skipped=table.skipped)


def suggestions_import_cli(*, actor, source: Source, campaign_id: int | None = None, apply: bool = False, stdout=None) -> ImportResult:
    from django.conf import settings

    campaign = resolve_campaign(campaign_id)
    return suggestions_import(actor=actor, source=source, campaign=campaign, max_bytes=settings.DUBAN_MAX_IMPORT_BYTES)


def export_rows(qs, *, with_contacts: bool):
    for s in qs.select_related("unit", "focus_area", "place_unit").order_by("submitted_at", "id").iterator(chunk_size=2000):
        name, phone = contact_shown(s.contact_name, s.contact_phone, full=with_contacts)
        yield (
            text_shown(s.title, full=with_contacts), text_shown(s.body, full=with_contacts), s.get_channel_display(), timezone.localtime(s.submitted_at).strftime("%Y-%m-%d %H:%M:%S"),
            name, phone, s.place_unit.name if s.place_unit_id else s.place, s.get_kind_display(),
            s.get_status_display(), s.unit.name, s.focus_area.name if s.focus_area_id else "", s.label,
            text_shown(s.reply, full=with_contacts), timezone.localtime(s.replied_at).strftime("%Y-%m-%d %H:%M:%S") if s.replied_at else "",
            s.get_rating_display() if s.rating else "", s.rating_comment,
        )


def suggestions_export(target, qs, *, with_contacts: bool = False) -> int:
    return write_table(target, EXPORT_HEADER, export_rows(qs, with_contacts=with_contacts), sheet="意见建议")


def suggestions_export_cli(*, out: str, campaign_id: int | None = None) -> int:
    qs = Suggestion.objects.all()
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    return suggestions_export(out, qs, with_contacts=True)
