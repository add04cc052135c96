"""The demo project library (项目调度).

District: 通化's shape — 37 projects over ¥50M, ¥22.1bn (2,210,000 万元) in all, 32 started —
under three-level responsibility: a 包保领导 (district leaders with accounts, the `leader`
account among them), a 责任部门 (a bureau) and a 项目秘书 (bureau staff with accounts, and the
two town liaisons `unit1` and `unit2` for the projects of their towns). Nodes 立项 … 投产 with
some approval steps under 容缺受理 (120 working days allowed, 30 taken), weekly dispatch records
of the last four weeks, blockers raised with a record (ledger problems, two signed off), lights
derived by 银川's rules. One of the 37 is 洮北's 30万吨/年燃料乙醇项目, whose 23 nodes are the
district plan's 23 tasks (duban.plan.demo builds them; each node links its plan item). All of
it through the services, as an office and its secretaries would do it.

City: 临汾's 1,031 projects worth ¥419bn in three pools with a year of weekly records (~53,600);
province: ten cities' 10,310 projects with their last four weeks. In bulk (projects.bulk).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from duban.core import workcalendar
from duban.demo.context import DemoContext
from duban.demo.people import DEMO_PASSWORD, person_name
from duban.ledger import services as ledger
from duban.ledger.demo import tiny_png
from duban.orgs.models import OrgUnit, OwnerRole, Role, UnitKind
from duban.orgs.services import membership_set
from duban.projects import bulk, lights, services
from duban.projects.models import Cadence, Kind, Node, NodeKind, Project, Record, Stage
from duban.projects.periods import period_of
from duban.projects.services import NewBlocker, NewNode, NewProject

DISTRICT_TOTAL_WAN = 2_210_000
DISTRICT_STARTED = 32
CITY_TOTAL_WAN = 41_900_000  # ¥419bn
PROVINCE_TOTAL_WAN = 10 * CITY_TOTAL_WAN
POOLS = ["招商引资项目库", "在谈跟进项目库", "储备签约开工项目库"]
ETHANOL_PROJECT = "30万吨/年燃料乙醇项目"

# The district's leaders with accounts (the plan demo's 包保 leaders; 李建国 is `leader`).
LEADER_ACCOUNTS = [("leader2", "王志强", "区委副书记、区长"), ("leader3", "赵文华", "区委常委、常务副区长"),
                   ("leader4", "孙丽娟", "区委常委、副区长"), ("leader5", "周海波", "副区长"), ("leader6", "吴春明", "副区长"),
                   ("leader7", "郑晓东", "区政府党组成员")]
# 项目秘书: staff of the bureaus that carry projects.
SECRETARY_UNITS = ["区发展和改革局", "区工业和信息化局", "区商务局", "区营商环境建设局", "区住房和城乡建设局"]

# (name, industry, total 万元, town, 责任部门, 新建/续建, state)
# state: done (竣工投产), green, yellow / red (behind 序时进度), nostat (not in the statistics
# database a month after starting), signed / negotiating / planning (not started; the light
# follows the planned start).
DISTRICT: list[tuple[str, str, int, str, str, str, str]] = [
    (ETHANOL_PROJECT, "新能源", 250000, "东风乡", "区发展和改革局", Kind.NEW, "signed"),
    ("洮北区100万千瓦风电项目", "新能源", 280000, "岭下镇", "区发展和改革局", Kind.CONTINUED, "green"),
    ("50万千瓦光伏发电平价上网项目", "新能源", 120000, "到保镇", "区发展和改革局", Kind.CONTINUED, "green"),
    ("绿电制氢及氢能装备产业园项目", "新能源", 180000, "青山镇", "区工业和信息化局", Kind.NEW, "negotiating"),
    ("新型储能电站示范项目", "新能源", 60000, "林海镇", "区发展和改革局", Kind.NEW, "done"),
    ("风电装备制造产业园（塔筒、叶片）项目", "装备制造", 95000, "平安镇", "区工业和信息化局", Kind.CONTINUED, "green"),
    ("新能源汽车零部件生产项目", "装备制造", 45000, "平安镇", "区工业和信息化局", Kind.NEW, "yellow"),
    ("农机装备智能制造项目", "装备制造", 18000, "洮河镇", "区工业和信息化局", Kind.NEW, "green"),
    ("现代中药饮片及提取物生产项目", "医药健康", 32000, "洮河镇", "区工业和信息化局", Kind.NEW, "green"),
    ("生物医药产业园标准化厂房项目", "医药健康", 26000, "平安镇", "区商务局", Kind.NEW, "red"),
    ("区人民医院新院区建设项目", "医药健康", 85000, "新华街道", "区卫生健康局", Kind.CONTINUED, "green"),
    ("嫩江湾国家湿地公园文旅综合体项目", "文旅", 68000, "德顺蒙古族乡", "区商务局", Kind.NEW, "yellow"),
    ("洮儿河生态旅游度假区项目", "文旅", 42000, "洮河镇", "区商务局", Kind.CONTINUED, "green"),
    ("鹤鸣湖冰雪旅游小镇项目", "文旅", 30000, "三合乡", "区商务局", Kind.NEW, "planning"),
    ("国道G302线洮北段改扩建工程", "基础设施", 110000, "金祥乡", "区交通运输局", Kind.CONTINUED, "green"),
    ("城区供热管网改造及热源厂项目", "基础设施", 48000, "铁东街道", "区住房和城乡建设局", Kind.NEW, "nostat"),
    ("城市污水处理厂提标改造及中水回用项目", "生态环保", 22000, "长庆街道", "区住房和城乡建设局", Kind.NEW, "green"),
    ("洮儿河流域综合治理工程", "生态环保", 56000, "洮河镇", "区水利局", Kind.CONTINUED, "yellow"),
    ("老旧小区改造及配套基础设施项目", "城市更新", 38000, "明仁街道", "区住房和城乡建设局", Kind.NEW, "green"),
    ("棚户区改造安置住房项目", "城市更新", 64000, "新华街道", "区住房和城乡建设局", Kind.CONTINUED, "red"),
    ("高标准农田建设项目", "现代农业", 35000, "到保镇", "区农业农村局", Kind.NEW, "green"),
    ("20万头生猪养殖及屠宰加工项目", "农产品加工", 40000, "林海镇", "区农业农村局", Kind.NEW, "green"),
    ("杂粮杂豆精深加工项目", "农产品加工", 15000, "三合乡", "区农业农村局", Kind.NEW, "done"),
    ("万头肉牛繁育及深加工项目", "农产品加工", 33000, "德顺蒙古族乡", "区农业农村局", Kind.CONTINUED, "green"),
    ("冷链物流园项目", "现代物流", 28000, "铁东街道", "区商务局", Kind.NEW, "green"),
    ("白城北铁路物流集散中心项目", "现代物流", 52000, "长庆街道", "区商务局", Kind.NEW, "signed"),
    ("数据中心及算力基地项目", "数字经济", 75000, "青山镇", "区工业和信息化局", Kind.NEW, "signed_late"),
    ("智慧城市（城市大脑）建设项目", "数字经济", 12000, "新华街道", "区营商环境建设局", Kind.NEW, "done"),
    ("生物质热电联产项目", "新能源", 46000, "东风乡", "区发展和改革局", Kind.CONTINUED, "green"),
    ("秸秆综合利用（生物质颗粒燃料）项目", "新能源", 9000, "金祥乡", "区农业农村局", Kind.NEW, "done"),
    ("新型建材（装配式建筑部品）生产项目", "新材料", 21000, "平安镇", "区工业和信息化局", Kind.NEW, "green"),
    ("玄武岩纤维新材料项目", "新材料", 36000, "岭下镇", "区工业和信息化局", Kind.NEW, "nostat"),
    ("职业教育实训基地项目", "社会事业", 17000, "明仁街道", "区教育局", Kind.NEW, "green"),
    ("区第三中学新建项目", "社会事业", 14000, "洮河镇", "区教育局", Kind.NEW, "green"),
    ("农村供水保障工程", "基础设施", 16000, "青山镇", "区水利局", Kind.CONTINUED, "green"),
    ("天然气长输管线及城市门站项目", "基础设施", 34000, "铁东街道", "区住房和城乡建设局", Kind.NEW, "yellow"),
    ("光伏组件封装材料生产项目", "新材料", 58000, "岭下镇", "区工业和信息化局", Kind.NEW, "green"),
]
BUILDERS = ["九新实业集团有限公司", "吉林电力股份有限公司", "中国能源建设集团", "国家电投集团吉林新能源有限公司", "白城市城市发展投资集团",
            "吉林省交通投资集团", "洮北区城市建设投资有限公司", "吉林敖东药业集团", "中建八局第一建设有限公司", "白城市文旅发展集团",
            "吉林省农业投资集团", "长春一汽富维汽车零部件股份有限公司"]
PROGRESS_NOTES = ["主体结构施工中，完成工程量{p}%。", "设备基础施工完成，正在进行设备安装。", "钢结构厂房吊装中，现场施工人员{w}人。",
                  "土建工程基本完成，正在进行室外配套。", "按计划推进，本周完成投资{m}万元。", "正在进行设备调试，计划下月试生产。"]
NEXT_STEPS = ["加快主体施工进度，确保按期封顶。", "协调设备供应商按期供货。", "抓紧办理竣工验收手续。", "加大施工力量投入，抢抓施工黄金期。"]
PRE_NOTES = ["正在办理项目前期手续。", "项目可研报告已编制完成，正在评审。", "正在开展用地预审和选址工作。", "与投资方进行第三轮洽谈。"]

# The usual nodes: (kind, title, 责任部门 of the approval steps, working days allowed).
NODES = [(NodeKind.APPROVAL, "立项（备案/核准）", "区发展和改革局", 20), (NodeKind.LAND, "用地预审及供地", "区自然资源局", 30),
         (NodeKind.PLANNING, "建设工程规划许可", "区自然资源局", 20), (NodeKind.EIA, "环境影响评价批复", "区生态环境分局", 30),
         (NodeKind.PERMIT, "施工许可", "区住房和城乡建设局", 20)]
# 柳河: 容缺受理 cut a project's approvals from 120 working days to 30.
FAST_TAKEN = [6, 7, 5, 7, 5]


def build(ctx: DemoContext) -> None:
    # A copy of the demo's random state (deterministic from --seed) that does not advance it:
    # the builders after this one (intake, triage) draw the same numbers as without projects.
    rng = random.Random()
    rng.setstate(ctx.rng.getstate())
    rng.random()  # not the plan's draws: it copied the same state
    if ctx.scale.name == "district":
        _district(ctx, rng)
    else:
        _bulk(ctx, rng)


# ------------------------------------------------------------------ district


def _accounts(ctx: DemoContext, rng: random.Random, units: dict[str, OrgUnit]) -> tuple[list, list]:
    """The district leaders and the bureaus' project secretaries, with accounts."""
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    # The demo password hashed once for the eleven accounts: a hash costs a second of CPU
    # on a busy machine, and these accounts share one published password anyway.
    hashed = make_password(DEMO_PASSWORD)
    taken = set(User.objects.values_list("first_name", flat=True))
    leaders = [ctx.users["leader"]] if "leader" in ctx.users else []
    for username, name, title in LEADER_ACCOUNTS:
        leaders.append(_account(ctx, username, name, title, ctx.root, Role.LEADER, hashed))
        taken.add(name)
    secretaries = []
    for i, unit_name in enumerate(SECRETARY_UNITS, 1):
        name = person_name(rng)
        while name in taken or len(name) < 3:  # a full name no other account carries (person_of links by name)
            name = person_name(rng)
        taken.add(name)
        unit = units.get(unit_name) or ctx.departments[i % len(ctx.departments)]
        secretaries.append(_account(ctx, f"secretary{i}", name, "重点项目专班项目秘书", unit, Role.LIAISON, hashed))
    return leaders, secretaries


def _account(ctx: DemoContext, username: str, name: str, title: str, unit: OrgUnit, role: str, hashed: str):
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"first_name": name})
    user.first_name = name
    user.password = hashed
    user.save()
    membership_set(actor=ctx.actor, user=user, unit=unit, role=role, title=title)
    ctx.users[username] = user
    return user


def _ethanol_items(ctx: DemoContext) -> list:
    """The plan's 23 ethanol tasks (duban.plan.demo), in the plan's order; none without the plan."""
    from duban.plan.demo import ETHANOL_TITLE
    from duban.plan.models import PlanItem

    return list(PlanItem.objects.filter(campaign=ctx.campaign, parent__parent__title=ETHANOL_TITLE)
                .select_related("lead_unit").order_by("parent__position", "parent__id", "position", "id"))


def _ethanol_kind(title: str) -> str:
    for word, kind in (("核准", NodeKind.APPROVAL), ("用地", NodeKind.LAND), ("规划", NodeKind.PLANNING), ("环境影响", NodeKind.EIA),
                       ("施工许可", NodeKind.PERMIT)):
        if word in title:
            return kind
    return NodeKind.OTHER


class _District:
    def __init__(self, ctx: DemoContext, rng: random.Random):
        self.ctx, self.rng, self.today = ctx, rng, ctx.today
        self.cal = workcalendar.calendar()
        self.actor = ctx.actor
        depts = OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT, path__startswith=ctx.root.path)
        self.units: dict[str, OrgUnit] = {u.name: u for u in [*depts, *ctx.towns]}

    def unit(self, name: str) -> OrgUnit:
        """A unit by name; a smaller tree lacks some: the district government office stands in."""
        return self.units.get(name) or self.units.get("区政府办公室") or self.ctx.root

    def workday_back(self, d: dt.date) -> dt.date:
        """`d`, or the working day before it."""
        return d if self.cal.is_workday(d) else self.cal.add_workdays(d, -1)

    def months_ago(self, months: int, day: int = 10) -> dt.date:
        return lights.add_months(self.today.replace(day=day), -months)

    def nodes(self, p: Project, started: dt.date | None, finish: dt.date, fast: bool, dept: OrgUnit) -> list[NewNode]:
        """立项 … 投产: the approval steps before the start (done when the project started), the
        works after; a fast project's approvals took 30 of their 120 working days."""
        today, cal = self.today, self.cal
        anchor = started or (p.planned_start or today)
        out: list[NewNode] = []
        for i, (kind, title, unit_name, allowed) in enumerate(NODES):
            planned = cal.add_workdays(anchor, -(len(NODES) - i) * 25)
            done = accepted = None
            if started is not None or planned < today - dt.timedelta(days=20):
                taken = FAST_TAKEN[i] if fast else allowed - self.rng.randint(0, 6)
                done = self.workday_back(min(planned, today))
                accepted = cal.add_workdays(done, -taken)
            out.append(NewNode(title=title, kind=kind, unit=self.unit(unit_name), planned_on=planned, done_on=done, accepted_on=accepted,
                               allowed_days=allowed, note="容缺受理：先行受理、并联审批" if fast and done else ""))
        span = (finish - anchor).days
        works = [(NodeKind.START, "开工", anchor), (NodeKind.STRUCTURE, "主体完工", anchor + dt.timedelta(days=span * 6 // 10)),
                 (NodeKind.ACCEPTANCE, "竣工验收", finish - dt.timedelta(days=30)), (NodeKind.OPERATION, "投产", finish)]
        for kind, title, planned in works:
            done = planned if started is not None and planned <= today else None
            if p.stage == Stage.COMPLETED and kind in (NodeKind.ACCEPTANCE, NodeKind.OPERATION):
                done = min(planned, today)
            out.append(NewNode(title=title, kind=kind, unit=dept if kind != NodeKind.OPERATION else self.unit("区工业和信息化局"),
                               planned_on=planned, done_on=done))
        return out


def _district(ctx: DemoContext, rng: random.Random) -> None:
    b = _District(ctx, rng)
    today, actor = b.today, b.actor
    leaders, secretaries = _accounts(ctx, rng, b.units)
    towns = ctx.towns[:2]  # the liaisons' towns: unit1 and unit2 are the secretaries of their towns' projects
    liaison_of = {t.name: ctx.users.get(f"unit{i}") for i, t in enumerate(towns, 1)}
    png = tiny_png()
    made: list[tuple[Project, str]] = []
    n_leader = 0
    for i, (name, industry, total, town, dept_name, kind, state) in enumerate(DISTRICT):
        dept = b.unit(dept_name)
        unit = b.units.get(town) or ctx.towns[i % len(ctx.towns)]
        if name == ETHANOL_PROJECT:
            leader = next((u for u in leaders if u.first_name == "王志强"), leaders[0])  # the plan's 包保 leader of the project
        elif state in ("red", "yellow") and n_leader < 4 and "leader" in ctx.users:
            leader, n_leader = ctx.users["leader"], n_leader + 1  # the 书记 takes the hard ones
        else:
            leader = leaders[1 + i % (len(leaders) - 1)]
        secretary = liaison_of.get(unit.name) or secretaries[i % len(secretaries)]
        started_on = finish = planned_start = None
        started = state in ("done", "green", "yellow", "red", "nostat")
        if started:
            months = {"done": rng.randint(16, 26), "red": rng.randint(14, 18), "yellow": rng.randint(9, 14)}.get(state, rng.randint(5, 20))
            started_on = b.workday_back(b.months_ago(months, rng.randint(1, 25)))
            if state == "nostat":
                started_on = b.workday_back(today - dt.timedelta(days=rng.randint(45, 80)))
            planned_start = started_on - dt.timedelta(days=rng.choice([0, 10, 20]))
            finish = lights.add_months(started_on, rng.randint(months + 6, months + 12) if state in ("red", "yellow") else rng.randint(14, 30)) if state != "done" else b.workday_back(today - dt.timedelta(days=rng.randint(20, 120)))
        else:
            planned_start = {"signed": b.months_ago(-3), "negotiating": b.months_ago(-6), "planning": today.replace(day=1),
                             "signed_late": b.months_ago(4)}[state]
            if name == ETHANOL_PROJECT:
                planned_start = lights.add_months(today, 5).replace(day=1)
            finish = lights.add_months(planned_start, 24)
        annual = Decimal(min(total, round(total * rng.uniform(0.25, 0.45)))) if state not in ("planning", "negotiating") else Decimal(0)
        new = NewProject(
            name=name, unit=unit, seq=str(i + 1), builder=BUILDERS[i % len(BUILDERS)] if name != ETHANOL_PROJECT else BUILDERS[0],
            industry=industry, stage=Stage.SIGNED if started or state in ("signed", "signed_late") else
            (Stage.NEGOTIATING if state == "negotiating" else Stage.PLANNING), kind=kind,
            location=f"洮北区{unit.name}", description=_description(name, total), total_wan=total, annual_plan_wan=annual,
            sanzao=state in ("signed", "signed_late", "planning"), leader_name=leader.first_name, secretary_name=secretary.first_name,
            department=dept, planned_start=planned_start, planned_finish=finish, cadence=Cadence.DAILY if name == ETHANOL_PROJECT else
            (Cadence.XUN if i % 9 == 4 else Cadence.WEEKLY),
            in_statistics_on=started_on + dt.timedelta(days=rng.randint(10, 25)) if started and state != "nostat" else None,
        )
        if started:
            # What was done before the records of the demo: the share of the total the
            # progress says, less the weeks recorded below.
            target = _target_progress(state, started_on, finish, today, rng)
            new.done_total_wan = (Decimal(total) * Decimal(target) / 100 * Decimal("0.9")).quantize(Decimal("1"))
            new.done_year_wan = min(new.done_total_wan, (annual * Decimal(rng.uniform(0.6, 0.9))).quantize(Decimal("1")))
            new.progress = max(0, target - 6)
        p = services.project_create(actor=actor, campaign=ctx.campaign, new=new, skip_checks=True)
        if started:
            p = services.project_transition(actor=actor, project=p, name="start", date=started_on, reason="举行开工仪式", skip_checks=True)
            if state == "done":
                p = services.project_transition(actor=actor, project=p, name="complete", date=finish, reason="通过竣工验收，正式投产", skip_checks=True)
        if name == ETHANOL_PROJECT:
            items = _ethanol_items(ctx)
            services.nodes_set(actor=actor, project=p, skip_checks=True, nodes=[
                NewNode(title=it.title, kind=_ethanol_kind(it.title), unit=it.lead_unit, planned_on=it.deadline,
                        done_on=it.finished_on if it.finished_on and it.finished_on <= today else None, plan_item_id=it.pk,
                        note=f"包保领导：{it.leader_name}" if it.leader_name else "") for it in items])
        else:
            services.nodes_set(actor=actor, project=p, skip_checks=True,
                               nodes=b.nodes(p, started_on, finish, fast=i % 4 == 1 and started, dept=dept))
        made.append((p, state))
        if i % 5 == 0:
            services.file_add(actor=actor, project=p, name="施工现场.png", data=png, skip_checks=True)
    _records(b, made, secretaries)
    ctx.extra["projects"] = [p.pk for p, _ in made]
    _note(ctx)


def _description(name: str, total: int) -> str:
    if name == ETHANOL_PROJECT:
        return ("以九新实业集团投资为主，在原厂址上建设；新建30万吨/年燃料乙醇并启动20万吨/年无水乙醇扩能改造。"
                "项目分解为23个工作任务，每个任务实行一名区级领导包保、相关部门配合。")
    return f"总投资{total / 10000:g}亿元，建设{name.removesuffix('项目').removesuffix('工程')}及配套设施。"


def _target_progress(state: str, started: dt.date, finish: dt.date, today: dt.date, rng: random.Random) -> int:
    """The progress that gives the wanted light against 序时进度 (银川's 10 and 30 points)."""
    expected = lights.expected_progress(started, finish, today) or 0
    if state == "done":
        return 100
    behind = {"yellow": rng.randint(15, 24), "red": rng.randint(36, 45)}.get(state, -rng.randint(0, 5))
    return max(8, min(97, expected - behind))


def _records(b: _District, made: list[tuple[Project, str]], secretaries: list) -> None:
    """Four weeks of dispatch (the ethanol project daily, its last five working days); the
    current period left open on a few, so 本期待填报 has something. Blockers with some."""
    today, rng, actor = b.today, b.rng, b.actor
    blockers = {3: ("land", "产业园区用地指标不足，需调整土地利用规划", "区自然资源局", 25),
                6: ("power", "厂区66千伏专用变电站接入未批复", "区发展和改革局", 15),
                9: ("finance", "项目贷款审批进度慢，资金缺口约8000万元", "区财政局", 30),
                15: ("approval", "供热管网穿越铁路施工许可待办理", "区住房和城乡建设局", 10),
                19: ("demolition", "安置地块内仍有12户未签订征收协议", "新华街道", 20),
                25: ("approval", "铁路专用线接轨方案待上级批复", "区交通运输局", 40),
                0: ("land", "项目用地预审需省自然资源厅批复，请协调加快", "区自然资源局", 12),
                35: ("water", "门站取水许可手续未办结", "区水利局", 18)}
    raised = []
    for idx, (p, _state) in enumerate(made):
        if p.stage == Stage.COMPLETED:
            continue
        if p.cadence == Cadence.DAILY:
            days = [b.cal.add_workdays(today, -k) for k in range(5, 0, -1)]
        else:
            days = [today - dt.timedelta(days=7 * k) for k in range(3, -1, -1)]
            if p.cadence == Cadence.XUN:
                days = sorted({period_of(d, Cadence.XUN)[0] for d in days})
        if idx % 6 == 2:
            days = days[:-1]  # this period not yet reported
        started = p.stage == Stage.STARTED
        target = p.progress + (6 if started else 0)
        weekly = (p.done_total_wan / 9 / max(len(days), 1) / 6).quantize(Decimal("1")) if started else Decimal(0)
        for k, day in enumerate(days):
            last = k == len(days) - 1
            progress = max(0, target - (len(days) - 1 - k)) if started else 0
            invested = (weekly * Decimal(rng.uniform(0.6, 1.4))).quantize(Decimal("1")) if started else Decimal(0)
            note = (rng.choice(PROGRESS_NOTES).format(p=progress, w=rng.randint(40, 300), m=invested) if started else rng.choice(PRE_NOTES))
            new_blockers = []
            if last and idx in blockers:
                kind, text, unit_name, days_left = blockers[idx]
                new_blockers = [NewBlocker(kind=kind, description=text, unit=b.unit(unit_name), deadline=today + dt.timedelta(days=days_left))]
            services.record_save(actor=actor, project=p, day=day, progress=progress, progress_note=note, invested_wan=invested,
                                 problems=new_blockers[0].description if new_blockers else "",
                                 next_steps=rng.choice(NEXT_STEPS) if started else "加快推进前期手续办理。", blockers=new_blockers,
                                 skip_checks=True)
            if new_blockers:
                raised.append(p)
    # Two blockers solved: signed off in the ledger (the project shows it at once).
    from duban.projects.models import Blocker

    png = tiny_png()
    for blocker in Blocker.objects.filter(project__in=[p.pk for p in raised]).select_related("problem").order_by("id")[:2]:
        problem = ledger.problem_claim(actor=actor, problem=blocker.problem, note="已召开专题调度会研究解决。", skip_checks=True)
        problem = ledger.problem_submit(actor=actor, problem=problem, note="问题已协调解决，申请销号。", files=[("协调会纪要.png", png)],
                                        skip_checks=True)
        ledger.problem_sign_off(actor=actor, problem=problem, note="经核实，要素保障问题已解决，同意销号。", skip_checks=True)
    services.projects_refresh(campaign=b.ctx.campaign, today=today)


def _note(ctx: DemoContext) -> None:
    from duban.projects.queries import figures

    f = figures(campaign=ctx.campaign)
    nodes = Node.objects.filter(project__campaign=ctx.campaign)
    linked = nodes.filter(plan_item__isnull=False).count()
    ctx.notes.append(f"重点项目：{f['total']} 个，总投资 {f['investment_total_wan'] / 10000:,.1f} 亿元，已开工 {f['started']} 个，"
                     f"红灯 {f['red']}、黄灯 {f['yellow']}；节点 {nodes.count()} 个（{linked} 个对应督办事项），"
                     f"调度记录 {Record.objects.filter(project__campaign=ctx.campaign).count()} 条")
    if ctx.scale.name == "district":
        names = "、".join(f"{u}" for u, _n, _t in LEADER_ACCOUNTS) + "（包保领导）；" + "、".join(
            f"secretary{i}" for i in range(1, len(SECRETARY_UNITS) + 1)) + "（项目秘书）"
        ctx.notes.append(f"项目演示账号（密码 {DEMO_PASSWORD}）：{names}")


# ------------------------------------------------------------------ city and province


def _split_money(total: int, n: int, rng: random.Random) -> list[int]:
    """`n` whole-万元 amounts adding up to `total` exactly: a long tail like a real library
    (a few projects of tens of 亿, many of a few 亿), none under 5,000 万元."""
    weights = [rng.lognormvariate(0, 1.0) for _ in range(n)]
    scale = (total - 5000 * n) / sum(weights)
    amounts = [5000 + int(w * scale) for w in weights]
    amounts[max(range(n), key=amounts.__getitem__)] += total - sum(amounts)
    return amounts


def _bulk(ctx: DemoContext, rng: random.Random) -> None:
    """临汾's library (the city) or ten of them (the province): projects of the counties, each
    with a county bureau as 责任部门, a county leader and a secretary by name; the three demo
    accounts carry a few. Weekly records: a year of them in the city, four weeks in a province."""
    today = ctx.today
    campaign, n = ctx.campaign, ctx.scale.projects
    weeks = 52 if n <= 2000 else 4  # a city's library (1,031) carries its year; a province's (10,310) a month
    pools = services.pools_set(actor=ctx.actor, campaign=campaign, names=POOLS, skip_checks=True)
    depts_of: dict[int, list[OrgUnit]] = {}
    for d in ctx.departments:
        depts_of.setdefault(d.parent_id, []).append(d)
    counties = ctx.counties or [ctx.root]
    towns = ctx.towns[:2]
    users = ctx.users
    amounts = _split_money(CITY_TOTAL_WAN * ctx.scale.cities, n, rng)
    industries = [d[1] for d in DISTRICT] + ["煤化工", "焦化升级改造", "现代煤炭物流", "文化旅游", "特色农业"]
    names = [d[0] for d in DISTRICT if d[0] != ETHANOL_PROJECT]
    projects: list[Project] = []
    owners: list[list[tuple[int, str]]] = []
    started_flags: list[bool] = []
    now = timezone.now()
    for i in range(n):
        county = counties[i % len(counties)]
        depts = depts_of.get(county.pk) or depts_of.get(county.parent_id) or [county]
        dept = depts[(i // len(counties)) % len(depts)]
        r = rng.random()
        pool = pools[0] if r < 0.3 else pools[1] if r < 0.5 else pools[2]
        if pool is pools[0]:
            stage = rng.choice([Stage.NEGOTIATING, Stage.SIGNED, Stage.SIGNED])
        elif pool is pools[1]:
            stage = rng.choice([Stage.PLANNING, Stage.NEGOTIATING])
        else:
            stage = rng.choice([Stage.SIGNED] + [Stage.STARTED] * 6 + [Stage.COMPLETED])
        total = Decimal(amounts[i])
        started = stage in (Stage.STARTED, Stage.COMPLETED)
        if started:
            started_on = today - dt.timedelta(days=rng.randint(60, 700))
            finish = started_on + dt.timedelta(days=rng.randint(400, 1100))
            if stage == Stage.COMPLETED:
                finish = min(finish, today - dt.timedelta(days=rng.randint(5, 50)))
            planned_start = started_on - dt.timedelta(days=rng.choice([0, 0, 15, 30]))
            expected = lights.expected_progress(started_on, finish, today) or 0
            progress = 100 if stage == Stage.COMPLETED else max(3, min(98, expected - rng.choice([-5, 0, 0, 2, 5, 8, 15, 20, 35, 45])))
        else:
            started_on = None
            planned_start = (today.replace(day=1) + dt.timedelta(days=rng.randint(-200, 300))).replace(day=1)
            finish = planned_start + dt.timedelta(days=rng.randint(400, 900))
            progress = 0
        annual = (total * Decimal(rng.uniform(0.2, 0.45))).quantize(Decimal("1")) if stage != Stage.PLANNING else Decimal(0)
        leader = secretary = None
        if i < 12:  # the demo accounts meet the library: 李建国 leads a few, the liaisons are secretaries of some
            leader = users.get("leader") if i % 3 == 0 else None
            secretary = users.get("unit1") if i % 3 == 1 else users.get("unit2") if i % 3 == 2 else None
        name = f"{county.name}{names[i % len(names)].removeprefix('洮北区')}" + (f"（{i // len(names) + 1}期）" if i >= len(names) else "")
        p = Project(
            pool=pool, seq=str(i + 1), name=name[:200], builder=BUILDERS[i % len(BUILDERS)], unit=county, industry=industries[i % len(industries)],
            stage=stage, kind=Kind.CONTINUED if started and rng.random() < 0.4 else Kind.NEW, location=county.name,
            description=_description(name, int(total)), total_wan=total, annual_plan_wan=annual, year_of=today.year,
            sanzao=rng.random() < 0.15, leader_name=leader.first_name if leader else person_name(rng),
            leader=leader, secretary_name=secretary.first_name if secretary else person_name(rng), secretary=secretary,
            planned_start=planned_start, planned_finish=finish, started_on=started_on,
            finished_on=finish if stage == Stage.COMPLETED else None,
            in_statistics_on=started_on + dt.timedelta(days=20) if started and rng.random() < 0.93 else None,
            cadence=Cadence.WEEKLY, progress=progress, region_id=county.region_id, created_at=now, updated_at=now,
        )
        projects.append(p)
        pairs = [(dept.pk, OwnerRole.DEPARTMENT)]
        if leader is not None:
            pairs.append((ctx.root.pk, OwnerRole.LEADER))
        if secretary is not None:
            pairs.append((towns[0 if secretary is users.get("unit1") else 1].pk, OwnerRole.SECRETARY))
        owners.append(pairs)
        started_flags.append(started)
    records = _bulk_records(projects, started_flags, weeks, today, rng)
    bulk.projects_bulk_insert(actor=ctx.actor, campaign=campaign, projects=projects, owners=owners, note="演示数据", skip_checks=True)
    for rows in records:
        for r in rows:
            r.project_id = r.project.pk
    bulk.records_bulk_insert(actor=ctx.actor, campaign=campaign, records=[r for rows in records for r in rows], note="演示数据")
    _note(ctx)


def _bulk_records(projects: list[Project], started_flags: list[bool], weeks: int, today: dt.date, rng: random.Random) -> list[list[Record]]:
    """Each project's weekly records, oldest first, with running totals kept as
    `record_save` keeps them; the project's completed investment set to match."""
    this_week = period_of(today, Cadence.WEEKLY)[0]
    tz = timezone.get_current_timezone()
    notes_pre, notes_on = PRE_NOTES, PROGRESS_NOTES
    out: list[list[Record]] = []
    for p, started in zip(projects, started_flags, strict=True):
        rows: list[Record] = []
        first = this_week - dt.timedelta(weeks=weeks - 1)
        if started:
            first = max(first, period_of(p.started_on, Cadence.WEEKLY)[0])
        skip_current = rng.random() < 0.15
        starts = [first + dt.timedelta(weeks=k) for k in range((this_week - first).days // 7 + 1)]
        if skip_current or p.stage == Stage.COMPLETED:
            starts = [s for s in starts if s < this_week]
        if p.stage == Stage.COMPLETED:
            starts = [s for s in starts if s <= p.finished_on]
        weekly = (p.annual_plan_wan / 52) if started else Decimal(0)
        amounts = [(weekly * Decimal(rng.uniform(0.3, 1.6))).quantize(Decimal("0.01")) for _ in starts]
        recorded = sum(amounts, Decimal(0))
        # Before the first record: what the progress says was done, at least nothing.
        before = max(Decimal(0), (p.total_wan * p.progress / 100 * Decimal("0.9")).quantize(Decimal("1")) - recorded) if started else Decimal(0)
        total, year = before, Decimal(0)
        n = len(starts)
        for k, (start, amount) in enumerate(zip(starts, amounts, strict=True)):
            total += amount
            year = year + amount if start.year == today.year else year
            progress = max(0, p.progress - (n - 1 - k) // 8) if started else 0
            end = start + dt.timedelta(days=6)
            rows.append(Record(
                project=p, cadence=Cadence.WEEKLY, period_start=start, period_end=end, progress=progress, invested_wan=amount,
                progress_note=rng.choice(notes_on).format(p=progress, w=rng.randint(30, 400), m=amount) if started else rng.choice(notes_pre),
                next_steps=rng.choice(NEXT_STEPS) if started else "加快推进前期手续办理。", done_year_wan=year, done_total_wan=total,
                unit_id=p.unit_id, recorded_by_name=p.secretary_name,
                recorded_at=dt.datetime.combine(min(end, today), dt.time(17, 0), tzinfo=tz)))
        p.done_total_wan, p.done_year_wan = total, year
        if rows:
            p.last_record_on = rows[-1].period_end if rows[-1].period_end <= today else today
        out.append(rows)
    return out
