"""Demo ledgers: 洮北's 36 poverty-work problems in 8 aspects (district), or 临汾's 270,600
problems in six focus areas with exactly 92.4% signed off (city; ten times that for the
province). The district goes through the services row by row, with a few problems moved
through the workflow; the big scales use the documented bulk path (one audit row per batch).
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib

from django.utils import timezone

from duban.demo.context import CAMPAIGN_START, DemoContext
from duban.demo.people import owner_for
from duban.ledger import services
from duban.ledger.models import Kind, Source, Status
from duban.ledger.services import NewProblem

# 洮北: "扶贫工作8个方面36个问题，并逐项提出整改措施、整改责任和整改时限".
TAOBEI_ASPECTS = {
    "思想认识": ("推动真抓实干", ["部分干部对脱贫攻坚重要性认识不足，存在厌战情绪", "个别村干部“等靠要”思想严重，主动作为不够", "对“两不愁三保障”标准理解不准，宣传解读不到位", "部分帮扶干部对政策掌握不全面，入户解答不清楚", "少数贫困户内生动力不足，主动脱贫意识不强"]),
    "责任落实": ("强化担当作为", ["乡镇主体责任压得不实，包保责任分工不清", "部分行业部门责任落实不到位，协同推进不够", "驻村工作队员在岗时间不足，考勤管理松散", "村级帮扶计划与实际脱节，措施针对性不强", "督查问责力度不够，发现问题整改跟踪不及时"]),
    "政策落实": ("破解民生难题", ["健康扶贫“一站式”结算落实不到位，群众报销跑腿多", "教育扶贫资助政策宣传不到位，个别学生未享受资助", "危房改造对象识别不精准，存在漏评现象", "低保兜底政策与扶贫政策衔接不够顺畅", "残疾人两项补贴发放不及时"]),
    "产业扶贫": ("探索转型路径", ["产业项目同质化严重，带贫益贫机制不健全", "部分扶贫产业项目收益分配不规范", "庭院经济发展缺乏技术指导，效益不明显", "光伏扶贫电站运维管理不到位，发电收益下降", "扶贫车间吸纳贫困劳动力就业不足"]),
    "资金管理": ("优化营商环境", ["扶贫资金拨付进度慢，部分资金滞留", "项目资金公示公告不规范，群众知晓率低", "扶贫资产登记不完整，管护责任不明确", "个别项目资金使用绩效评价流于形式"]),
    "作风建设": ("强化担当作为", ["帮扶工作中存在形式主义，填表报数负担重", "个别干部入户走访走过场，对贫困户情况不熟悉", "数字脱贫、虚假脱贫问题排查不彻底", "群众反映问题回应不及时，办理效率不高"]),
    "基础设施": ("破解民生难题", ["部分村屯饮水安全保障不稳定，水质检测不及时", "个别村屯道路破损，雨季通行困难", "村卫生室设施设备不全，村医配备不足", "农村人居环境整治不彻底，垃圾清运不及时"]),
    "档案管理": ("深化市情认识", ["贫困户档案信息前后不一致，数据质量不高", "扶贫手册填写不规范，收入核算不准确", "动态调整程序不规范，佐证材料不全", "帮扶措施与贫困户实际需求对应不上"]),
}

AREA_TOPICS = {
    "强化担当作为": (["干部队伍", "班子建设", "责任落实", "督查问责", "基层党建", "干部作风"],
                 ["遇到矛盾绕道走，担当精神不足", "工作推进靠会议、靠文件，落实打折扣", "对上级部署敷衍应付，整改不彻底", "不敢碰硬、不愿较真，问题久拖不决", "工作标准不高，满足于过得去", "推诿扯皮，部门协同不够"]),
    "深化市情认识": (["市情调研", "发展规划", "资源禀赋", "统计数据", "区位优势", "比较优势"],
                 ["对本地资源优势认识不清，发展思路不宽", "调查研究不深入，决策依据不充分", "对标先进地区找差距不够，思想观念保守", "规划编制与实际脱节，执行刚性不足", "统计数据不准确，底数不清", "对发展短板分析不透，措施针对性不强"]),
    "探索转型路径": (["煤焦产业", "新兴产业", "文旅融合", "现代农业", "科技创新", "数字经济"],
                 ["产业结构单一，转型升级步伐缓慢", "新兴产业培育不够，项目储备不足", "科技创新投入少，成果转化率低", "龙头企业带动作用不强，产业链条短", "园区基础设施配套不完善", "招商引资质量不高，落地率低"]),
    "优化营商环境": (["审批服务", "政务服务", "涉企收费", "要素保障", "市场监管", "惠企政策"],
                 ["审批环节多、时限长，企业办事跑腿多", "“一网通办”覆盖不全，数据共享不畅", "惠企政策兑现慢，企业获得感不强", "涉企检查多头重复，影响企业正常经营", "项目用地、用电等要素保障不及时", "营商环境投诉办理不及时，回应企业诉求慢"]),
    "推动真抓实干": (["重点项目", "重点工作", "工作落实", "考核评价", "督查督办", "会议文件"],
                 ["重点项目推进缓慢，未按节点完成", "工作只安排不检查，落实不到位", "文山会海问题依然存在，基层负担重", "考核指标设置不科学，激励作用不明显", "督办事项办结率低，反复督办仍未落实", "台账管理不规范，底数不清"]),
    "破解民生难题": (["供暖保障", "老旧小区", "城乡供水", "教育医疗", "养老服务", "人居环境"],
                 ["冬季供暖温度不达标，群众投诉较多", "老旧小区改造进度慢，配套设施不完善", "农村饮水安全保障不稳定，管网老化", "就医难、看病贵问题依然存在", "养老服务设施不足，服务质量不高", "垃圾清运不及时，环境卫生脏乱差"]),
}
MEASURES = ["制定整改方案，明确责任人和时限，逐项销号", "开展专项整治，建立长效机制", "召开专题会议研究，落实包保责任", "完善制度规范，加强督导检查", "倒排工期、挂图作战，按期完成整改", "建立问题台账，定期调度通报"]
SOURCE_WEIGHTS = [(Source.SELF_CHECK, 40), (Source.OPINION, 25), (Source.INSPECTION, 15), (Source.ENTERPRISE, 8), (Source.CLUE, 7), (Source.ASSIGNED, 5)]
RATE = 0.924


def tiny_png() -> bytes:
    """A 1×1 PNG, the demo's photo evidence."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\x00\xb7\x1c\x1c")) + chunk(b"IEND", b"")


def build(ctx: DemoContext) -> None:
    if ctx.scale.name == "district":
        _district(ctx)
    else:
        _bulk(ctx)


def _district(ctx: DemoContext) -> None:
    rng, campaign = ctx.rng, ctx.campaign
    areas = {a.name: a for a in ctx.focus_areas}
    units = ctx.towns + ctx.departments
    today = ctx.today
    problems = []
    # The demo liaisons' towns (unit1, unit2) get three problems each, so each has work to show.
    first = [t for t in ctx.towns[:2] for _ in range(3)]
    for aspect, (area_name, items) in TAOBEI_ASPECTS.items():
        for text in items:
            unit = first.pop(0) if first else rng.choice(units)
            deadline = today + dt.timedelta(days=rng.choice([-20, -5, 3, 6, 15, 30, 45, 60, 90]))
            kind = rng.choice([Kind.IMMEDIATE, Kind.DEADLINE, Kind.DEADLINE, Kind.LONG_TERM])
            problems.append(services.problem_create(
                actor=ctx.actor, skip_checks=True, campaign=campaign, description=text, unit=unit, focus_area=areas.get(area_name),
                source=rng.choice([Source.SELF_CHECK, Source.INSPECTION, Source.OPINION]),
                owner=owner_for(rng, unit.name, unit.kind),
                measures=rng.choice(MEASURES), deadline=deadline if kind != Kind.LONG_TERM else None, kind=kind,
                extra={"方面": aspect},
            ))
    png = tiny_png()
    for i, p in enumerate(problems):
        step = i % 6
        if step == 0:
            continue
        p = services.problem_claim(actor=ctx.actor, skip_checks=True, problem=p)
        services.problem_note(actor=ctx.actor, skip_checks=True, problem=p, note="已制定整改方案，正在逐项推进。")
        if step >= 3:
            p = services.problem_submit(actor=ctx.actor, skip_checks=True, problem=p, note="整改完成，申请销号。", files=[("整改现场.png", png)])
        if step >= 4:
            p = services.problem_sign_off(actor=ctx.actor, skip_checks=True, problem=p, note="经核查，整改到位，同意销号。")
        if step == 3 and i % 4 == 1:
            p = services.problem_return(actor=ctx.actor, skip_checks=True, problem=p, reason="佐证材料不充分，请补充整改前后对比照片。")
        if step == 2 and i % 5 == 0:
            p = services.problem_request_extension(actor=ctx.actor, skip_checks=True, problem=p, until=(p.deadline or today) + dt.timedelta(days=30), reason="涉及资金拨付，需延期一个月。")
        problems[i] = p
    done = sum(1 for p in problems if p.status == Status.SIGNED_OFF)
    ctx.notes.append(f"整改台账：{len(problems)} 个问题（8 个方面），已销号 {done} 个")


def _bulk(ctx: DemoContext) -> None:
    rng, campaign, total = ctx.rng, ctx.campaign, ctx.scale.problems
    areas = [a for a in ctx.focus_areas if a.name in AREA_TOPICS] or ctx.focus_areas
    units = [(u.pk, u.region_id, u.name, u.kind) for u in (ctx.villages + ctx.towns + ctx.departments)]
    sources = [s for s, w in SOURCE_WEIGHTS for _ in range(w)]
    signed = round(total * RATE)
    start = CAMPAIGN_START
    span = max((ctx.today - start).days, 30)
    tz = timezone.get_current_timezone()
    done_flags = [True] * signed + [False] * (total - signed)
    rng.shuffle(done_flags)
    open_states = [Status.PENDING] * 2 + [Status.IN_PROGRESS] * 5 + [Status.SUBMITTED] * 2 + [Status.RETURNED]
    rows: list[NewProblem] = []
    rand, choice = rng.random, rng.choice
    for i in range(total):
        area = areas[i % len(areas)]
        topics, issues = AREA_TOPICS.get(area.name, (["工作"], ["存在不足"]))
        uid, region, uname, ukind = units[int(rand() * len(units))]
        created = start + dt.timedelta(days=int(rand() * rand() * span))
        kind = Kind.IMMEDIATE if rand() < 0.3 else (Kind.LONG_TERM if rand() < 0.08 else Kind.DEADLINE)
        deadline = None if kind == Kind.LONG_TERM else created + dt.timedelta(days=(7 if kind == Kind.IMMEDIATE else 30 + int(rand() * 150)))
        if done_flags[i]:
            status = Status.SIGNED_OFF
            base = deadline or created + dt.timedelta(days=90)
            completed = created + dt.timedelta(days=1 + int(rand() * max((base - created).days, 1) * (1.0 if rand() < 0.9 else 1.4)))
            completed = min(completed, ctx.today)
            progress = "已整改完成，经核查销号"
        else:
            status, completed = choice(open_states), None
            progress = "" if status == Status.PENDING else choice(["正在推进", "已完成阶段性任务", "方案已制定，正在落实"])
        rows.append(NewProblem(
            seq=i + 1, description=f"{uname}{choice(topics)}方面：{choice(issues)}", unit_id=uid, region_id=region,
            focus_area_id=area.pk, source=choice(sources), owner=owner_for(rng, uname, ukind),
            measures=choice(MEASURES), deadline=deadline, kind=kind, progress=progress, status=status, completed_on=completed,
            created_at=dt.datetime.combine(created, dt.time(9, 0), tzinfo=tz),
        ))
    services.problems_bulk_insert(actor=ctx.actor, campaign=campaign, rows=rows, note="演示数据")
    ctx.notes.append(f"整改台账：{total} 个问题（{len(areas)} 个聚焦领域），已销号 {signed} 个，整改率 {signed / total:.1%}")
