"""Demo suggestions: 611 suggestions for the district (595 closed, 16 open, 85 turned into
ledger problems) and 临汾's 53,400 useful suggestions for the city; besides them, the clues
(举报线索) 洮北 counts — 611 received, 595 concluded (查结) of which 85 transferred to the
authority they belong to (非管移送), 16 under verification — and the same shape scaled up.

Texts come from demo_texts: standing matters (one object, place and complaint) raised by
many people in their own words, and one-off matters (topics like the TipDM labels, each tied
to a focus area and a responsible department; real place names of the demo tree), so the
router has a learnable routed history and the hot-issue finder real repeats to find. Big scales insert in bulk (one audit row per batch).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect
from itertools import accumulate

from django.utils import timezone

from duban.audit.services import audit_record
from duban.demo.context import CAMPAIGN_START, DemoContext
from duban.intake import demo_texts
from duban.intake.models import (
    Callback,
    Channel,
    Kind,
    Rating,
    RatingSource,
    Status,
    Suggestion,
    new_tracking_code,
)
from duban.intake.services import REPLY_DAYS, suggestions_bulk_create

# topic label → (focus area, department suffix, subjects, complaints, kinds, reply actions)
TOPICS: dict[str, tuple[str, str, list[str], list[str], list[str], list[str]]] = {
    "城乡建设": ("破解民生难题", "住房和城乡建设局",
             ["老旧小区", "小区物业", "农村危房", "自来水管网", "冬季供暖", "路灯", "排水管道", "小区电梯"],
             ["年久失修，存在安全隐患", "收费不透明，服务质量差", "改造进度缓慢，迟迟不完工", "经常停水，群众生活不便", "温度不达标，屋里太冷", "坏了很久没人修"],
             [Kind.ISSUE, Kind.ISSUE, Kind.SUGGESTION],
             ["已责成物业公司限期整改，并将纳入老旧小区改造计划", "已安排维修人员现场处置，恢复正常使用", "已约谈供热企业，室温已达到18℃以上"]),
    "劳动和社会保障": ("破解民生难题", "人力资源和社会保障局",
                ["农民工工资", "养老保险", "医保报销", "灵活就业社保", "失业补助", "退休手续", "工伤认定"],
                ["被拖欠半年没有结清", "缴费记录有误，无法正常领取", "报销周期太长，手续繁琐", "不知道去哪里办理，希望简化流程", "申请后一直没有答复"],
                [Kind.ISSUE, Kind.CLUE, Kind.SUGGESTION],
                ["劳动监察大队已介入，督促企业按期足额支付工资", "经核实已更正缴费记录，待遇已补发", "已开通线上办理渠道，并安排专人一对一指导"]),
    "教育文体": ("破解民生难题", "教育局",
             ["学校周边交通", "幼儿园入园", "课后服务", "校外培训机构", "学生营养餐", "农村学校师资", "文化广场"],
             ["存在乱收费现象", "名额太少，孩子上不了公办园", "安全隐患突出，家长很担心", "质量参差不齐，希望加强监管", "设施陈旧，缺少活动场地"],
             [Kind.SUGGESTION, Kind.ISSUE, Kind.CLUE],
             ["已对涉事学校开展专项检查，责令退还违规收费", "已增加公办学位并调整招生片区", "已联合交警部门在上下学时段加强疏导"]),
    "商贸旅游": ("优化营商环境", "营商环境建设局",
             ["营业执照办理", "工程项目审批", "惠企政策兑现", "涉企检查", "用电报装", "中小企业融资", "景区管理"],
             ["跑了好几趟还没办下来", "环节多、时限长，企业负担重", "申报后迟迟不到位", "多头重复检查，影响正常经营", "门槛高，贷款难"],
             [Kind.ENTERPRISE, Kind.ENTERPRISE, Kind.SUGGESTION],
             ["已开通绿色通道，企业诉求当日办结", "已协调相关部门压缩审批时限至5个工作日", "政策资金已于本月拨付到企业账户"]),
    "卫生计生": ("破解民生难题", "卫生健康局",
             ["村卫生室", "乡镇卫生院", "家庭医生签约", "疫苗接种", "医院挂号", "120急救"],
             ["缺医少药，看病要跑很远", "服务态度差，排队时间长", "签约后没有上门服务", "预约困难，群众反映强烈"],
             [Kind.ISSUE, Kind.SUGGESTION, Kind.ISSUE],
             ["已为该村卫生室补充常用药品并安排医生坐诊", "已优化预约流程，增加接种时段", "已约谈相关负责人并通报批评"]),
    "环境保护": ("探索转型路径", "生态环境分局",
             ["养殖场", "砂石厂", "餐饮油烟", "河道垃圾", "秸秆焚烧", "建筑工地扬尘", "搅拌站"],
             ["气味太大，影响周边居民生活", "噪音扰民，夜间施工", "污水直排，污染环境", "粉尘严重，无人监管"],
             [Kind.ISSUE, Kind.CLUE, Kind.ISSUE],
             ["执法人员已现场检查，责令停产整改并立案处罚", "已清理河道垃圾并建立河长巡河制度", "已督促企业安装降尘设施，夜间禁止施工"]),
    "交通运输": ("推动真抓实干", "交通运输局",
             ["通村公路", "公交线路", "客运班车", "道路坑洼", "桥梁", "出租车"],
             ["路面破损严重，雨天无法通行", "班次太少，出行不便", "存在超载现象", "年久失修，存在安全隐患", "拒载、乱收费"],
             [Kind.SUGGESTION, Kind.ISSUE, Kind.ISSUE],
             ["已列入今年农村公路养护计划，近期开工修复", "已新增两个班次并延长末班车时间", "已开展专项整治，查处违规车辆"]),
    "干部作风": ("强化担当作为", "纪委监委",
             ["村干部", "窗口工作人员", "站所负责人", "帮扶干部", "执法人员"],
             ["办事推诿扯皮，群众反复跑腿", "优亲厚友，低保评定不公", "吃拿卡要，作风粗暴", "上班时间脱岗，找不到人", "违规收取费用"],
             [Kind.CLUE, Kind.CLUE, Kind.ISSUE],
             ["纪检监察机关已立案核查，对相关责任人作出诫勉谈话处理", "已责令当事人作出书面检查并在全乡通报", "经核查反映问题部分属实，已督促整改并追究责任"]),
}
# topics mostly handled where they happen (the town) rather than by a department
LOCAL_TOPICS = {"城乡建设", "环境保护", "卫生计生"}
CHANNEL_WEIGHTS = [(Channel.WEB, 35), (Channel.HOTLINE, 25), (Channel.BOX, 12), (Channel.FORUM, 10), (Channel.LETTER, 8), (Channel.VISIT, 8), (Channel.OTHER, 2)]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡"


def _dept_for(ctx: DemoContext):
    """(parent id, suffix) → department; a county's own departments first, the root's otherwise."""
    by = {}
    for d in ctx.departments:
        for label, (_area, suffix, *_rest) in TOPICS.items():
            if d.name.endswith(suffix):
                by[(d.parent_id, label)] = d
    return by


def build(ctx: DemoContext) -> None:
    rng, campaign, total = ctx.rng, ctx.campaign, ctx.scale.suggestions
    district = ctx.scale.name == "district"
    areas = {a.name: a for a in ctx.focus_areas}
    depts = _dept_for(ctx)
    towns = ctx.towns
    county_of = {}  # town id → its county (city scale) or the root
    if ctx.counties:
        county_by_id = {c.pk: c for c in ctx.counties}
        for t in towns:
            county_of[t.pk] = county_by_id.get(t.parent_id, ctx.root)
    villages_by_town: dict[int, list] = {}
    for v in ctx.villages:
        villages_by_town.setdefault(v.parent_id, []).append(v)
    labels = list(TOPICS)
    channels = [c for c, w in CHANNEL_WEIGHTS for _ in range(w)]
    tz = timezone.get_current_timezone()
    end = min(ctx.today, CAMPAIGN_START + dt.timedelta(days=200))
    span = max((end - CAMPAIGN_START).days, 30)
    # 洮北: 611 clues, 595 closed, 16 still being verified; 85 turned into ledger problems.
    if district:
        n_closed, n_transfer = 595, 85
    else:
        n_closed, n_transfer = round(total * 0.902), round(total * 0.139)
    n_open = total - n_closed
    open_states = ([Status.NEW] * 8 + [Status.ASSIGNED] * 5 + [Status.REOPENED] * 3) if district else None
    problem_ids = _problem_ids(campaign)
    rand, choice = rng.random, rng.choice
    rows: list[Suggestion] = []
    now = timezone.now()
    def pick_label() -> str:
        return labels[int(rand() * rand() * len(labels) * 1.3) % len(labels)]

    def pick_place():
        town = choice(towns)
        village = choice(villages_by_town.get(town.pk) or [town])
        return town, village, demo_texts.place_name(rng, town.name, village.name if village is not town else None)

    # Standing matters (one object, one place, one complaint) that many people raise, a few
    # often and most a few times (Zipf weights): the hot issues of the demo.
    standing = []
    for _ in range(max(10, total // 15)):
        town, village, where = pick_place()
        standing.append((demo_texts.make_matter(rng, pick_label(), where), town, village))
    weights = list(accumulate(1 / (r + 1) ** 0.9 for r in range(len(standing))))
    for i in range(total):
        if rand() < 0.5:
            matter, town, village = standing[bisect(weights, rand() * weights[-1])]
        else:  # a one-off matter
            town, village, where = pick_place()
            matter = demo_texts.make_matter(rng, pick_label(), where)
        label = matter.label
        area_name, _suffix, _subjects, _complaints, kinds, actions = TOPICS[label]
        county = county_of.get(town.pk)
        title, body = demo_texts.write(rng, matter)
        # who handles it: the town when the matter is local, else the topic's department
        local = rand() < (0.85 if label in LOCAL_TOPICS else 0.12)
        dept = depts.get((county.pk if county else ctx.root.pk, label)) or depts.get((ctx.root.pk, label))
        unit = town if (local or dept is None) else dept
        open_item = i >= n_closed
        if open_item:
            status = open_states[(i - n_closed) % len(open_states)] if open_states else (
                Status.NEW if rand() < 0.3 else Status.REOPENED if rand() < 0.1 else Status.ASSIGNED)
            submitted = dt.datetime.combine(ctx.today - dt.timedelta(days=int(rand() * 12)), dt.time(8 + int(rand() * 10), int(rand() * 60)), tzinfo=tz)
        else:
            status = Status.CLOSED
            submitted = dt.datetime.combine(CAMPAIGN_START + dt.timedelta(days=int(rand() * span)), dt.time(8 + int(rand() * 10), int(rand() * 60)), tzinfo=tz)
        submitted = min(submitted, now)
        kind = choice(kinds)
        if kind == Kind.CLUE:  # clues come from _clues, in 洮北's shape
            kind = Kind.ISSUE
        channel = choice(channels)
        anonymous = rand() < 0.3
        name = "" if anonymous else choice(SURNAMES) + choice(["先生", "女士", choice(SURNAMES) + choice("华明丽军英伟芳强敏静")])
        phone = "" if anonymous else f"1{choice('3578')}{int(rand() * 1e9):09d}"
        s = Suggestion(
            campaign=campaign, unit=ctx.root if status == Status.NEW else unit, tracking_code=new_tracking_code(), kind=kind,
            channel=channel, title=title[:200], body=body, contact_name=name, contact_phone=phone, place=village.name if village is not town else "",
            place_unit=town, submitted_at=submitted, status=status, label="" if status == Status.NEW else label,
            focus_area=None if status == Status.NEW else areas.get(area_name),
        )
        if status != Status.NEW:
            s.routed_at = submitted + dt.timedelta(hours=2 + rand() * 40)
        if status in (Status.CLOSED, Status.REOPENED):
            late = rand() < 0.06
            s.replied_at = submitted + dt.timedelta(days=(REPLY_DAYS + 2 + rand() * 10) if late else (0.5 + rand() * rand() * 12))
            s.replied_at = min(s.replied_at, now)
            s.reply = f"您好！关于您反映的“{s.title}”，经{unit.name}调查核实，{choice(actions)}。感谢您对{ctx.root.name}解放思想大讨论活动的关心和支持。"
            r = rand()
            if status == Status.REOPENED:
                s.rating, s.rating_comment, s.reopen_count = Rating.UNSATISFIED, choice(["问题没有实际解决", "答复敷衍", "还是老样子"]), 1
                s.rating_source = RatingSource.WEB
                s.rated_at = min(s.replied_at + dt.timedelta(days=1 + rand() * 3), now)
            else:
                s.rating = Rating.SATISFIED if r < 0.83 else Rating.BASIC if r < 0.95 else ""
                if s.rating:
                    s.rated_at = min(s.replied_at + dt.timedelta(days=rand() * 4), now)
                    # Callers without web access are called back by the office (电话回访).
                    s.rating_source = RatingSource.CALLBACK if s.channel in (Channel.HOTLINE, Channel.VISIT, Channel.LETTER) else RatingSource.WEB
                s.closed_at = s.rated_at or min(s.replied_at + dt.timedelta(days=7), now)
        rows.append(s)
    # 85 (district) / ~14% (city) of them became or joined ledger problems.
    linkable = [s for s in rows if s.status != Status.NEW]
    rng.shuffle(linkable)
    if problem_ids:
        for s in linkable[:n_transfer]:
            s.problem_id = choice(problem_ids)
    _insert(ctx, rows, per_row_audit=district)
    _callbacks(ctx, rows)
    clues = _clues(ctx, pick_place, depts)
    ctx.extra["intake_total"] = total + clues
    ctx.notes.append(
        f"意见建议：{total} 条，已办结 {n_closed} 条，在办 {n_open} 条，转为整改问题 {min(n_transfer, len(linkable)) if problem_ids else 0} 条；"
        f"群众留言页 /s/"
    )


# Where clues that are not ours go (非管移送).
TRANSFER_TO = ["区公安分局", "区纪委监委", "区人民检察院", "市场监督管理局", "市公安局", "市纪委监委", "区自然资源局"]
CLUE_RESULTS = [
    "经核查，反映问题基本属实，已对相关责任人立案审查，处理结果将依规公开",
    "经核查，反映问题部分属实，已责令整改并对责任人诫勉谈话",
    "经核查，反映问题不属实，已向有关人员反馈澄清",
    "经核查，已移交公安机关依法处理，涉案人员已到案",
]
CLUE_TOPICS = ["干部作风", "干部作风", "环境保护", "劳动和社会保障"]


def _clues(ctx: DemoContext, pick_place, depts) -> int:
    """洮北's clues: 611 received, 595 concluded (85 of them transferred), 16 under
    verification at district scale; the same shares of 11.4% of the suggestions above it."""
    rng, campaign = ctx.rng, ctx.campaign
    if ctx.scale.name == "district":
        n, n_closed, n_transferred = 611, 595, 85
    else:
        n = round(ctx.scale.suggestions * 611 / 53400 * 10)
        n_closed, n_transferred = round(n * 595 / 611), round(n * 85 / 611)
    tz = timezone.get_current_timezone()
    now = timezone.now()
    span = max((min(ctx.today, CAMPAIGN_START + dt.timedelta(days=200)) - CAMPAIGN_START).days, 30)
    rows = []
    for i in range(n):
        town, village, where = pick_place()
        label = rng.choice(CLUE_TOPICS)
        title, body = demo_texts.write(rng, demo_texts.make_matter(rng, label, where))
        unit = depts.get((ctx.root.pk, label)) or town
        verifying = i >= n_closed
        day = ctx.today - dt.timedelta(days=int(rng.random() * 12)) if verifying else CAMPAIGN_START + dt.timedelta(days=int(rng.random() * span))
        submitted = min(dt.datetime.combine(day, dt.time(8 + int(rng.random() * 10), int(rng.random() * 60)), tzinfo=tz), now)
        s = Suggestion(
            campaign=campaign, unit=unit, tracking_code=new_tracking_code(), kind=Kind.CLUE, channel=rng.choice([Channel.HOTLINE, Channel.LETTER, Channel.VISIT, Channel.WEB]),
            title=title[:200], body=body, place=village.name if village is not town else "", place_unit=town, submitted_at=submitted,
            label=label, focus_area=next((a for a in ctx.focus_areas if a.name == TOPICS[label][0]), None),
            routed_at=min(submitted + dt.timedelta(hours=2 + rng.random() * 20), now),
        )
        if verifying:
            s.status = Status.VERIFYING
        elif i < n_transferred:
            s.status, s.transferred_to = Status.TRANSFERRED, rng.choice(TRANSFER_TO)
            s.closed_at = min(submitted + dt.timedelta(days=1 + rng.random() * 5), now)
        else:
            s.status = Status.CLOSED
            s.reply = rng.choice(CLUE_RESULTS)
            s.replied_at = s.closed_at = min(submitted + dt.timedelta(days=3 + rng.random() * 25), now)
        rows.append(s)
    _insert(ctx, rows, per_row_audit=ctx.scale.name == "district")
    ctx.notes.append(f"举报线索：受理 {n} 条，查结 {n_closed} 条（其中非管转办 {n_transferred} 条），正在核查 {n - n_closed} 条")
    return n


def _callbacks(ctx: DemoContext, rows: list[Suggestion]) -> None:
    """The callback records behind the ratings given by phone (who called, when, what was said)."""
    callers = ["推进办 王干事", "推进办 李干事", "推进办 赵干事"]
    notes = {Rating.SATISFIED: "群众表示问题已解决，对办理结果满意", Rating.BASIC: "群众表示基本解决，希望持续关注"}
    saved = {s.tracking_code: s for s in Suggestion.objects.filter(campaign=ctx.campaign, rating_source=RatingSource.CALLBACK)}
    Callback.objects.bulk_create(
        [Callback(suggestion=s, result=s.rating, note=notes.get(s.rating, ""), caller=ctx.rng.choice(callers), called_at=s.rated_at)
         for r in rows if (s := saved.get(r.tracking_code)) is not None],
        batch_size=5000,
    )


def _problem_ids(campaign) -> list[int]:
    from duban.ledger.models import Problem  # the ledger's builder runs first (intake's AppConfig)

    return list(Problem.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)[:20000])


def _insert(ctx: DemoContext, rows: list[Suggestion], *, per_row_audit: bool) -> None:
    if per_row_audit:
        suggestions_bulk_create(actor=ctx.actor, rows=rows, note="演示数据")
        return
    batch = 5000
    for i in range(0, len(rows), batch):
        chunk = rows[i : i + batch]
        suggestions_bulk_create(actor=ctx.actor, rows=chunk, audit=False, batch_size=batch)
        audit_record(
            actor=ctx.actor, verb="suggestion.bulk_create", object_type="intake.suggestion", object_id=f"{i + 1}-{i + len(chunk)}",
            object_repr=f"{ctx.campaign.name}：意见建议 {i + 1}–{i + len(chunk)}（{len(chunk)} 条）", unit=ctx.campaign.unit,
            changes={"count": len(chunk)}, note="演示数据",
        )
