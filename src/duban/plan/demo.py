"""The demo plan (任务分工表).

District: 江源's shape — 4 aspects (方面), 41 work items led by 14 departments with 30
responsible departments, 7 of them key tasks split into 26 measures — and 洮北's
30万吨/年燃料乙醇项目: 23 tasks in four parts (东风乡总体规划, 生物化工循环产业园区规划,
项目核准, 开工准备), each owned by one district leader (区级领导包保) with node dates,
finish-to-start links and a hard deadline for 核准. Dates sit around the demo's today: some
items done, some red, yellow or green; leaders' instructions on a few; a baseline frozen at
the start, and deadlines moved since on some (drift). Goes through the services.

City: thousands of items across the counties (4 aspects × 17 counties × 6 key tasks, each
split into measures led by towns), inserted in bulk (services.items_bulk_insert).
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from duban.core import workcalendar
from duban.demo.context import DemoContext
from duban.ledger.demo import tiny_png
from duban.orgs.models import OrgUnit, UnitKind
from duban.orgs.services import NewUnit, units_bulk_create
from duban.plan import lights, services
from duban.plan.models import Baseline, Frequency, Level, PlanItem, Status
from duban.plan.services import NewItem

# 江源: "从四大方面四十一项工作内容…对14个牵头部门和30个责任部门承担的各项任务逐一列清单…
# 对七项重点工作任务26条具体措施进行细化分解".
EXTRA_DEPARTMENTS = ["区自然资源局", "区生态环境分局", "区司法局", "区统计局", "区审计局", "区文化广播电视和旅游局",
                     "区科学技术局", "区林业局", "区政务服务和数字化建设管理局", "区退役军人事务局", "区医疗保障局"]
LEADS = ["区委宣传部", "区委办公室", "区政府办公室", "区委组织部", "区纪委监委", "区发展和改革局", "区工业和信息化局", "区财政局",
         "区农业农村局", "区营商环境建设局", "区商务局", "区卫生健康局", "区住房和城乡建设局", "区教育局"]
# (aspect, [(work item, lead, [measures] when it is one of the seven key tasks)])
JIANGYUAN: list[tuple[str, list[tuple[str, str, list[str]]]]] = [
    ("学习教育、思想发动", [
        ("召开动员部署大会，印发活动实施方案和任务分工表", "区委办公室", []),
        ("区委常委班子带头开展学习研讨，召开理论学习中心组学习会", "区委宣传部", [
            "制定区委理论学习中心组专题学习计划", "围绕解放思想、全面振兴主题开展交流发言", "各党委（党组）理论学习中心组跟进研讨",
            "编印学习研讨材料汇编"]),
        ("各级党组织开展形式多样的学习活动", "区委组织部", []),
        ("组织开展“三会一课”专题学习", "区委组织部", []),
        ("开展党员干部专题培训", "区委组织部", []),
        ("依托理论宣讲阵地开展政策理论宣讲", "区委宣传部", [
            "组建区级宣讲团，开展集中宣讲", "推出“江宣哥”“江宣姐”微宣讲短视频", "开展网络式、服务式、科普式宣讲",
            "乡镇街道“下沉式流动宣讲”进村入户"]),
        ("开展“解放思想大家谈”征文活动", "区委宣传部", []),
        ("组织先进典型事迹报告会", "区委宣传部", []),
        ("开展警示教育，以案促改", "区纪委监委", []),
        ("开展青年干部读书班", "区委组织部", []),
    ]),
    ("调查研究、查找差距", [
        ("区级领导围绕分管领域开展专题调研", "区委办公室", []),
        ("对标先进地区开展考察学习", "区发展和改革局", []),
        ("开展建言献策活动，广泛征集意见建议", "区委宣传部", [
            "开通建言献策网络平台和意见箱", "召开企业家、基层代表座谈会", "梳理汇总意见建议并分类交办",
            "对采纳的金点子予以通报表扬"]),
        ("查摆思想观念、体制机制方面的突出问题", "区委办公室", []),
        ("梳理营商环境方面的堵点难点", "区营商环境建设局", []),
        ("开展“走基层、解难题”活动", "区委组织部", []),
        ("召开专题民主生活会", "区纪委监委", []),
        ("形成调研报告和问题清单", "区政府办公室", []),
        ("开展群众满意度调查", "区委办公室", []),
        ("建立问题整改台账，逐项明确整改时限", "区政府办公室", []),
    ]),
    ("聚焦重点、破解难题", [
        ("落实区级领导“一对一”包保，打赢脱贫攻坚战", "区农业农村局", [
            "冲刺“两房”清零，完成危房改造扫尾", "补齐“两基”短板，完善村屯基础设施", "提升“两业”扶贫，发展庭院经济",
            "落实“两项”政策，开展政策落实情况排查"]),
        ("推进农业绿色转型，建设“一谷一城”", "区农业农村局", []),
        ("持续实施农药化肥“双减半”", "区农业农村局", []),
        ("发展中药材、长白山小浆果等特色农作物", "区农业农村局", []),
        ("依托重点招商引资项目拉动新建、续建项目落地", "区发展和改革局", [
            "建立重点项目包保责任制和周调度机制", "推动山水水泥项目投产", "跟踪服务祖代鸡养殖项目建设",
            "梳理项目要素保障需求并协调解决"]),
        ("破解项目建设中的审批、用地、资金难题", "区工业和信息化局", []),
        ("全面落实支持民营企业改革发展的政策措施", "区营商环境建设局", [
            "开展工业企业惠企专班“一对一”服务", "推行审批事项“一网通办”", "清理规范涉企收费"]),
        ("压缩企业开办和工程建设项目审批时间", "区营商环境建设局", []),
        ("兑现惠企政策，落实减税降费", "区财政局", []),
        ("做好常态化疫情防控工作", "区卫生健康局", []),
        ("推进老旧小区改造", "区住房和城乡建设局", []),
        ("解决群众反映强烈的教育热点问题", "区教育局", []),
    ]),
    ("宣传推进、建章立制", [
        ("制定宣传工作方案，开辟宣传专栏", "区委宣传部", [
            "在区内媒体开设专栏，持续发稿", "向市级以上媒体推送稿件", "组织电子大屏滚动播放宣传标语"]),
        ("编发《活动动态》简报", "区委宣传部", []),
        ("向《吉宣要情》推送活动信息", "区委宣传部", []),
        ("建立“三调度”工作机制", "区委办公室", []),
        ("召开推进会议，调度阶段性进展", "区委办公室", []),
        ("开展督查检查，通报进展情况", "区政府办公室", []),
        ("建立健全长效机制，形成制度成果", "区委办公室", []),
        ("开展活动成效评估", "区委组织部", []),
        ("总结推广经验做法", "区商务局", []),
    ]),
]

# 洮北: "具体到23个工作任务，每个任务都实行一名区级领导包保、相关部门配合的工作机制，明确时间
# 节点，倒排工期，必保在12月21日前完成项目核准".
ETHANOL_TITLE = "推进30万吨/年燃料乙醇项目"
LEADERS = ["李建国", "王志强", "赵文华", "孙丽娟", "周海波", "吴春明", "郑晓东"]
# (part, lead, [(task, lead, [co units], working days)])
ETHANOL: list[tuple[str, str, list[tuple[str, str, list[str], int]]]] = [
    ("东风乡总体规划", "东风乡", [
        ("东风乡总体规划修编前期调研", "东风乡", ["区自然资源局"], 10),
        ("东风乡总体规划编制", "东风乡", ["区自然资源局", "区住房和城乡建设局"], 20),
        ("总体规划专家评审", "区自然资源局", ["东风乡"], 5),
        ("总体规划公示", "东风乡", ["区自然资源局"], 8),
        ("总体规划报批", "区自然资源局", ["区政府办公室"], 10),
    ]),
    ("生物化工循环产业园区规划", "区发展和改革局", [
        ("生物化工循环产业园区总体规划编制", "区发展和改革局", ["区自然资源局", "东风乡"], 20),
        ("园区控制性详细规划编制", "区自然资源局", ["区住房和城乡建设局"], 15),
        ("园区产业发展规划编制", "区发展和改革局", ["区工业和信息化局"], 15),
        ("生化园区区域环境影响评价", "区生态环境分局", ["区发展和改革局"], 25),
        ("园区规划水资源论证", "区水利局", ["区发展和改革局"], 15),
        ("园区基础设施配套规划", "区住房和城乡建设局", ["区交通运输局", "区水利局"], 12),
    ]),
    ("项目核准", "区发展和改革局", [
        ("项目用地预审与选址意见", "区自然资源局", ["东风乡"], 12),
        ("项目环境影响评价批复", "区生态环境分局", ["区发展和改革局"], 15),
        ("项目节能评估审查", "区发展和改革局", ["区工业和信息化局"], 10),
        ("社会稳定风险评估", "区委办公室", ["东风乡", "区信访局"], 10),
        ("安全预评价备案", "区应急管理局", ["区工业和信息化局"], 8),
        ("项目取水许可", "区水利局", ["区发展和改革局"], 10),
        ("编制并上报项目核准申请报告", "区发展和改革局", ["区财政局"], 8),
    ]),
    ("开工准备", "区工业和信息化局", [
        ("征地补偿及地上物清理", "东风乡", ["区自然资源局", "区财政局"], 20),
        ("施工图设计审查", "区住房和城乡建设局", ["区应急管理局"], 15),
        ("供水、供电、供汽配套接入", "区工业和信息化局", ["区水利局", "区发展和改革局"], 25),
        ("进场道路建设", "区交通运输局", ["东风乡"], 20),
        ("办理施工许可", "区住房和城乡建设局", ["区营商环境建设局"], 8),
    ]),
]
INSTRUCTIONS = [
    ("李建国", "此项工作事关全区发展大局，请牵头单位倒排工期、挂图作战，每旬报送进展。"),
    ("王志强", "请区发改局加强协调，遇到问题及时报告，确保按节点完成。"),
    ("李建国", "要把解放思想的成果体现在具体工作上，请各责任单位密切配合，不得推诿扯皮。"),
    ("赵文华", "资金已落实，请抓紧推进，月底前见到实效。"),
]


def build(ctx: DemoContext) -> None:
    # A copy of the demo's random state (deterministic from --seed) that does not advance it:
    # the builders after this one (intake, triage) draw the same numbers as without the plan.
    rng = random.Random()
    rng.setstate(ctx.rng.getstate())
    if ctx.scale.name == "district":
        _district(ctx, rng)
    else:
        _bulk(ctx, rng)


# ------------------------------------------------------------------ district


class _Builder:
    """The district's plan through the services, as the office would build it."""

    def __init__(self, ctx: DemoContext, units: dict[str, OrgUnit], rng: random.Random):
        self.ctx, self.units, self.rng, self.today = ctx, units, rng, ctx.today
        self.cal = workcalendar.calendar()
        self.items: list[PlanItem] = []
        self.png = tiny_png()

    def add(self, title: str, lead: str | OrgUnit, *, parent: PlanItem | None = None, co=(), **kw) -> PlanItem:
        unit = lead if isinstance(lead, OrgUnit) else self.units[lead]
        co_units = [c if isinstance(c, OrgUnit) else self.units[c] for c in co]
        item = services.item_create(actor=self.ctx.actor, skip_checks=True, campaign=self.ctx.campaign, refresh=False,
                                    new=NewItem(title=title, lead_unit=unit, co_units=co_units, parent=parent, **kw))
        self.items.append(item)
        return item

    def wd(self, n: int) -> dt.date:
        """The working day n working days from today (n < 0: before)."""
        return self.cal.add_workdays(self.today, n)

    def progress_for(self, item: PlanItem, state: str) -> int:
        """A progress % that gives the light wanted: green keeps up with 序时进度, yellow trails
        by ~20 points, red by ~40."""
        start = item.start_date or item.latest_start or self.today
        expected = lights.expected_progress(start, item.deadline, self.today, self.cal) or 0
        behind = {"green": -self.rng.randint(0, 8), "yellow": self.rng.randint(14, 24), "red": self.rng.randint(36, 50)}.get(state, 0)
        return max(0, min(95, expected - behind))

    def move(self, item: PlanItem, state: str, *, note: str = "") -> PlanItem:
        """Take an item through the workflow to `state` (done, submitted, returned, open, pending)."""
        a = self.ctx.actor
        if state == "pending":
            return item
        item = services.item_transition(actor=a, skip_checks=True, item=item, name="accept")
        if state in ("done", "submitted", "returned"):
            services.item_report(actor=a, skip_checks=True, item=item, note=note or "已按节点完成各项工作。", progress=100,
                                 files=[("工作佐证.png", self.png)])
            item = services.item_transition(actor=a, skip_checks=True, item=item, name="submit", reason="已完成，申请办结。")
            if state == "done":
                item = services.item_transition(actor=a, skip_checks=True, item=item, name="finish", reason="经核实，同意办结。")
            elif state == "returned":
                item = services.item_transition(actor=a, skip_checks=True, item=item, name="return",
                                                reason="佐证材料不全，请补充会议纪要和现场照片。")
            return item
        item.refresh_from_db()
        pct = self.progress_for(item, state)
        if pct > 0:
            services.item_report(actor=a, skip_checks=True, item=item, progress=pct,
                                 note=note or self.rng.choice(["正在按计划推进。", "已完成阶段性任务，正在推进下一节点。",
                                                               "方案已制定，正在组织实施。", "已召开专题会议研究部署。"]))
        return item


def _extra_departments(ctx: DemoContext) -> list[OrgUnit]:
    have = {u.name for u in ctx.departments}
    missing = [NewUnit(name=n, kind=UnitKind.DEPARTMENT, parent_key=None, parent_id=ctx.root.pk, key=n)
               for n in EXTRA_DEPARTMENTS if n not in have]
    # Not added to ctx.departments: the later builders' choices stay as they were.
    return units_bulk_create(actor=ctx.actor, units=missing, note="演示数据：任务分工的责任部门") if missing else []


def _district(ctx: DemoContext, rng: random.Random) -> None:
    made = _extra_departments(ctx)
    departments = ctx.departments + made
    units = {u.name: u for u in [*departments, *ctx.towns]}
    for name in ("区信访局", "区水利局", "区交通运输局", "区应急管理局"):  # named by the ethanol plan; a smaller tree lacks them
        if name not in units:
            units[name] = units["区政府办公室"]
    b = _Builder(ctx, units, rng)
    today = ctx.today
    start = b.wd(-70)
    leader = get_user_model().objects.filter(username="leader").first()
    leader_name = leader.first_name if leader is not None and leader.first_name else LEADERS[0]
    # The 30 responsible departments: every department but the lead of the item, in turn.
    pool = [u for u in departments if u.name not in ("区委宣传部",)][:30]
    towns = ctx.towns[:2]  # the demo liaisons' towns (unit1, unit2) own part of the plan
    turn = 0
    # States in turn, so each aspect shows every light; the key tasks' measures likewise.
    states = ["done", "green", "yellow", "green", "red", "done", "green", "submitted", "yellow", "green", "pending", "done",
              "red", "green", "returned", "green"]
    k = 0
    plan = []
    for a_no, (aspect, works) in enumerate(JIANGYUAN, 1):
        head = b.add(aspect, "区委宣传部", seq=str(a_no), progress_from_children=True, start_date=start, frequency=Frequency.MONTHLY)
        for w_no, (title, lead, measures) in enumerate(works, 1):
            co = [pool[(turn + j) % len(pool)] for j in range(1 + (w_no % 3))]
            turn += len(co)
            if w_no % 4 == 0:
                co.append(towns[(a_no + w_no) % 2])
            co = [c for c in co if c.name != lead]
            deadline = b.wd(rng.choice([-12, 3, 8, 20, 35, 50, 70, 90]))
            work = b.add(title, lead, parent=head, co=co, seq=f"{a_no}.{w_no}", start_date=start + dt.timedelta(days=rng.randint(0, 10)),
                         deadline=deadline, frequency=rng.choice([Frequency.WEEKLY, Frequency.XUN, Frequency.MONTHLY]),
                         leader_name=rng.choice(LEADERS), progress_from_children=bool(measures))
            plan.append((work, states[k % len(states)], measures))
            k += 1
            for m_no, m in enumerate(measures, 1):
                m_lead = towns[(a_no + w_no + m_no) % 2] if "乡镇街道" in m or m_no == 4 else units[lead]
                m_co = [towns[(m_no + 1) % 2]] if m_lead in towns else [co[0]] if co else []
                m_deadline = min(deadline, b.wd(rng.choice([-10, -3, 4, 12, 25]))) if deadline >= b.wd(-10) else deadline
                measure = b.add(m, m_lead, parent=work, co=m_co, seq=f"{a_no}.{w_no}.{m_no}", start_date=work.start_date,
                                deadline=max(m_deadline, work.start_date + dt.timedelta(days=14)), frequency=Frequency.WEEKLY,
                                leader_name=work.leader_name)
                plan.append((measure, states[(k + m_no) % len(states)], []))
    # The ethanol project: its own aspect, the four parts as key tasks, 23 tasks as measures.
    hard = b.wd(10)  # 必保在此前完成项目核准
    eth = b.add(ETHANOL_TITLE, "区发展和改革局", seq=str(len(JIANGYUAN) + 1), leader_name=LEADERS[1], progress_from_children=True,
                start_date=b.wd(-60), deadline=b.wd(60), frequency=Frequency.MILESTONE,
                description=f"以九新实业集团投资为主，在原厂址上建设；新建30万吨/年燃料乙醇并启动20万吨/年无水乙醇扩能改造。"
                            f"每个任务实行一名区级领导包保、相关部门配合，明确时间节点，倒排工期，必保在{hard:%m月%d日}前完成项目核准。")
    windows = {"东风乡总体规划": (-60, -12), "生物化工循环产业园区规划": (-45, 4), "项目核准": (-25, 10), "开工准备": (None, 60)}
    previous_part: list[PlanItem] = []
    n = 0
    for p_no, (part, lead, tasks) in enumerate(ETHANOL, 1):
        first, last = windows[part]
        part_item = b.add(part, lead, parent=eth, seq=f"{len(JIANGYUAN) + 1}.{p_no}", leader_name=LEADERS[p_no % len(LEADERS)],
                          progress_from_children=True, start_date=b.wd(first) if first is not None else None,
                          deadline=b.wd(last), frequency=Frequency.MILESTONE)
        made_part = []
        for t_no, (task, t_lead, co, days) in enumerate(tasks, 1):
            n += 1
            who = leader_name if n % 6 == 1 else LEADERS[n % len(LEADERS)]
            deadline = hard if part == "项目核准" else b.wd(last - (len(tasks) - t_no) * 3)
            t = b.add(task, t_lead, parent=part_item, co=co, seq=f"{len(JIANGYUAN) + 1}.{p_no}.{t_no}", leader_name=who,
                      start_date=b.wd(first + (t_no - 1) * 2) if first is not None else None, deadline=deadline, duration_days=days,
                      frequency=Frequency.MILESTONE)
            half = max(1, days // 2)
            services.milestones_set(actor=ctx.actor, skip_checks=True, item=t, milestones=[
                ("完成前期准备", b.cal.add_workdays(deadline, -half), t.lead_unit),
                ("完成并报送成果", deadline, t.lead_unit)])
            made_part.append(t)
            state = {"东风乡总体规划": "done", "生物化工循环产业园区规划": "done" if t_no != 4 else "red",
                     "项目核准": ["green", "red", "yellow", "green", "submitted", "yellow", "pending"][t_no - 1],
                     "开工准备": "pending" if t_no % 2 else "green"}[part]
            plan.append((t, state, []))
        # Finish-to-start: the environmental assessment of the park before the project's;
        # every approval before the application; the application before the works.
        if part == "项目核准":
            for t in made_part[:-1]:
                services.dependency_add(actor=ctx.actor, skip_checks=True, predecessor=t, successor=made_part[-1])
            services.dependency_add(actor=ctx.actor, skip_checks=True, predecessor=previous_part[3], successor=made_part[1])
        if part == "开工准备":
            services.dependency_add(actor=ctx.actor, skip_checks=True, predecessor=previous_part[-1], successor=made_part[0])
            services.dependency_add(actor=ctx.actor, skip_checks=True, predecessor=previous_part[-1], successor=made_part[1])
            services.dependency_add(actor=ctx.actor, skip_checks=True, predecessor=made_part[1], successor=made_part[4])
        previous_part = made_part
    # The baseline is the plan as the office approved it, before anything moved.
    services.plan_refresh(campaign=ctx.campaign, today=today)
    baseline = services.baseline_freeze(actor=ctx.actor, skip_checks=True, campaign=ctx.campaign, name="任务分工表（印发版）")
    # Frozen at the start of the plan, as it was (the service stamps the build's time).
    Baseline.objects.filter(pk=baseline.pk).update(taken_at=timezone.make_aware(dt.datetime.combine(start, dt.time(17, 0))))
    # The workflow, reports and instructions; then a few deadlines moved since the baseline.
    for item, state, _m in plan:
        if item.progress_from_children:  # a key task with measures: accepted, its % from them
            services.item_transition(actor=ctx.actor, skip_checks=True, item=item, name="accept")
            continue
        b.move(item, state)
    for i, (item, _state, _m) in enumerate([p for p in plan if p[1] in ("green", "yellow", "red") and not p[0].progress_from_children][:12]):
        if i % 3 == 0:
            author, text = INSTRUCTIONS[(i // 3) % len(INSTRUCTIONS)]
            services.instruction_add(actor=ctx.actor, skip_checks=True, item=item, author=author, text=text,
                                     given_on=b.wd(-rng.randint(3, 20)))
        if i % 4 == 1:
            item.refresh_from_db()
            to = b.cal.add_workdays(item.deadline, rng.choice([5, 10, 15]))
            services.item_transition(actor=ctx.actor, skip_checks=True, item=item, name="request_extension", date=to,
                                     reason="涉及上级审批，办理周期较长，申请延期。")
            if i % 8 == 1:
                services.item_transition(actor=ctx.actor, skip_checks=True, item=item, name="approve_extension", reason="同意。")
    services.plan_refresh(campaign=ctx.campaign, today=today)
    _note(ctx, made)


def _note(ctx: DemoContext, made: list[OrgUnit]) -> None:
    qs = PlanItem.objects.filter(campaign=ctx.campaign)
    counts = {k: qs.filter(light=k).count() for k in ("red", "yellow", "green")}
    done = qs.filter(status=Status.DONE).exclude(level=Level.ASPECT).count()
    extra = f"（新建责任部门 {len(made)} 个）" if made else ""
    ctx.notes.append(f"任务分工：{qs.count()} 项（{qs.filter(level=Level.ASPECT).count()} 个方面），已办结 {done} 项，"
                     f"红灯 {counts['red']}、黄灯 {counts['yellow']}、绿灯 {counts['green']}；"
                     f"基线 {Baseline.objects.filter(campaign=ctx.campaign).count()} 个{extra}")


# ------------------------------------------------------------------ city and province


CITY_ASPECTS = JIANGYUAN
TASKS_PER_COUNTY = 6


def _bulk(ctx: DemoContext, rng: random.Random) -> None:
    """4 aspects led by the city; under each, per county, 6 key tasks led by the county's
    departments, each split into measures led by its towns, other towns co-responsible."""
    today = ctx.today
    cal = workcalendar.calendar()
    city = ctx.root if ctx.root.kind == UnitKind.CITY else OrgUnit.objects.filter(kind=UnitKind.CITY).order_by("pk").first()
    counties = [c for c in ctx.counties if c.path.startswith(city.path)]
    towns_of: dict[int, list[OrgUnit]] = {}
    depts_of: dict[int, list[OrgUnit]] = {}
    for t in ctx.towns:
        towns_of.setdefault(t.parent_id, []).append(t)
    for d in ctx.departments:
        depts_of.setdefault(d.parent_id, []).append(d)
    start = cal.add_workdays(today, -70)
    items: list[PlanItem] = []
    co: list[list[int]] = []
    states = [Status.DONE] * 3 + [Status.IN_PROGRESS] * 5 + [Status.PENDING, Status.SUBMITTED]

    def row(parent, level, seq, title, lead, co_ids, deadline, leader="", children=False) -> PlanItem:
        status = rng.choice(states) if not children else Status.IN_PROGRESS
        expected = lights.expected_progress(start, deadline, today, cal) or 0
        progress = 100 if status == Status.DONE else max(0, min(95, expected - rng.choice([-5, 0, 0, 5, 15, 20, 40])))
        item = PlanItem(parent=parent, level=level, seq=seq, position=len(items), title=title, lead_unit=lead, region_id=lead.region_id,
                        leader_name=leader, start_date=start, deadline=deadline, progress=progress, progress_from_children=children,
                        status=status, started_on=start if status != Status.PENDING else None,
                        finished_on=min(deadline, today) if status == Status.DONE else None, frequency=Frequency.XUN)
        items.append(item)
        co.append(co_ids)
        return item

    city_depts = depts_of.get(city.pk, [])
    for a_no, (aspect, works) in enumerate(CITY_ASPECTS, 1):
        head = row(None, Level.ASPECT, f"{a_no}", aspect, city_depts[a_no % len(city_depts)] if city_depts else city, [],
                   cal.add_workdays(today, 80), children=True)
        for c_no, county in enumerate(counties, 1):
            depts, towns = depts_of.get(county.pk, []) or [county], towns_of.get(county.pk, []) or [county]
            for w in range(TASKS_PER_COUNTY):
                title, _lead, measures = works[(c_no + w) % len(works)]
                deadline = cal.add_workdays(today, rng.choice([-10, 3, 10, 25, 40, 60, 80]))
                task = row(head, Level.TASK, f"{a_no}.{c_no}.{w + 1}", f"{county.name}：{title}", depts[w % len(depts)],
                           [d.pk for d in rng.sample(depts, min(2, len(depts)))], deadline, leader=f"{county.name}分管领导", children=True)
                steps = measures or ["制定工作方案", "组织实施", "督导检查", "总结验收"]
                for m_no in range(len(towns)):
                    town = towns[m_no]
                    others = [t.pk for t in rng.sample(towns, min(2, len(towns))) if t.pk != town.pk]
                    row(task, Level.MEASURE, f"{a_no}.{c_no}.{w + 1}.{m_no + 1}", f"{town.name}{steps[m_no % len(steps)]}", town,
                        others, min(deadline, cal.add_workdays(today, rng.choice([-6, 4, 15, 30, 45]))), leader=task.leader_name)
    services.items_bulk_insert(actor=ctx.actor, skip_checks=True, campaign=ctx.campaign, items=items, co_units=co, note="演示数据",
                               today=today)
    services.baseline_freeze(actor=ctx.actor, skip_checks=True, campaign=ctx.campaign, name="任务分工表（印发版）")
    _note(ctx, [])
