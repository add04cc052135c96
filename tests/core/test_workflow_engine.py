"""The one workflow engine (duban.core.workflow), on a table of its own: no app involved.

The "model" is Django's auth User, its first_name standing for the state (and last_name
for a condition), so the engine is tested with nothing of duban's apps: sides, conditions
and guards are callables here as an app supplies them.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User as Thing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from duban.core import workflow as engine
from duban.core.workflow import (
    Condition,
    Guard,
    StaleVersion,
    Transition,
    TransitionError,
    TransitionForbidden,
)

pytestmark = pytest.mark.django_db

DRAFT, OPEN, DONE = "draft", "open", "done"


class Person:
    """A user as the sides see it: which sides they are on."""

    is_authenticated = True

    def __init__(self, *sides: str):
        self.sides = set(sides)


def build(audit: list, *, version=None) -> engine.Table:
    def effect_done(ctx):
        ctx.extra.setdefault("ran", []).append("done")
        ctx.note = f"完成：{ctx.reason}"

    def effect_second(ctx):
        ctx.extra.setdefault("ran", []).append("second")

    return engine.Table(
        model=Thing,
        state_field="first_name",
        transitions=[
            Transition("open", "打开", frozenset({DRAFT}), OPEN, "maker"),
            Transition("finish", "完成", frozenset({OPEN}), DONE, "checker", needs_reason=True, effects=(effect_done, effect_second)),
            Transition("stamp", "盖章", frozenset({OPEN}), None, "checker",
                       conditions=(Condition(lambda g: g.last_name == "正本", "只有正本可以盖章", q=Q(last_name="正本")),),
                       guards=(Guard(lambda ctx: ctx.data.get("seal") == "公章", "请用公章", "seal"),), waits_in=frozenset()),
        ],
        sides=[
            engine.Side("maker", "起草人", lambda user, g: "maker" in getattr(user, "sides", ()), lambda user: Q() if "maker" in user.sides else None),
            engine.Side("checker", "审核人", lambda user, g: "checker" in getattr(user, "sides", ()), lambda user: Q() if "checker" in user.sides else None),
        ],
        audit=lambda ctx, verb: audit.append((verb, ctx.before_status, ctx.obj.first_name, ctx.note)),
        version=version,
        state_label=lambda g: {"draft": "草稿", "open": "办理中", "done": "已完成"}[g.first_name],
        verb_prefix="thing",
        noun="事项",
    )


_n = iter(range(10**6))


def make(state: str, copy: str = "副本") -> Thing:
    return Thing.objects.create(username=f"thing{next(_n)}", first_name=state, last_name=copy)


def state_of(g: Thing) -> str:
    return Thing.objects.get(pk=g.pk).first_name


def test_illegal_is_a_transition_error_and_the_wrong_side_is_forbidden():
    table = build([])
    g = make(DRAFT)
    with pytest.raises(TransitionError, match="“草稿”状态的事项不能完成") as illegal:
        table.check(Person("checker"), g, "finish")
    assert not isinstance(illegal.value, PermissionDenied)  # illegal: 409, not 403
    with pytest.raises(TransitionForbidden, match="只有起草人可以打开") as wrong:
        table.check(Person("checker"), g, "open")
    assert isinstance(wrong.value, PermissionDenied)
    assert engine.http_status(illegal.value) == 409 and engine.http_status(wrong.value) == 403
    with pytest.raises(TransitionError, match="未知的操作"):
        table.check(Person("maker"), g, "fly")
    assert table.check(Person("maker"), g, "open").target == OPEN


def test_available_follows_state_side_and_conditions():
    table = build([])
    assert {t.name for t in table.available(Person("checker"), make(OPEN))} == {"finish"}
    assert {t.name for t in table.available(Person("checker"), make(OPEN, "正本"))} == {"finish", "stamp"}
    with pytest.raises(TransitionError, match="只有正本可以盖章"):
        table.check(Person("checker"), make(OPEN), "stamp")
    g = make(OPEN)
    assert table.available(Person("maker"), g) == []
    assert [t.name for t in table.available(Person("maker"), make(DRAFT))] == ["open"]


def test_guards_and_needs_answer_in_chinese_on_their_field_and_change_nothing():
    audit: list = []
    table = build(audit)
    g = make(OPEN)
    with pytest.raises(ValidationError) as exc:
        table.fire(actor=Person("checker"), obj=g, name="finish", check_side=True, reason="  ")
    assert exc.value.message_dict == {"reason": ["完成需要填写理由"]}
    g2 = make(OPEN, "正本")
    with pytest.raises(ValidationError) as exc:
        table.fire(actor=Person("checker"), obj=g2, name="stamp", check_side=True, data={"seal": "私章"})
    assert exc.value.message_dict == {"seal": ["请用公章"]}
    assert state_of(g) == state_of(g2) == OPEN and audit == []
    table.fire(actor=Person("checker"), obj=g2, name="stamp", check_side=True, data={"seal": "公章"})
    assert audit == [("thing.stamp", OPEN, OPEN, "")]  # no target: the state stays


def test_fire_changes_state_runs_effects_in_order_and_audits_once():
    audit: list = []
    table = build(audit)
    g = make(DRAFT)
    g = table.fire(actor=Person("maker"), obj=g, name="open", check_side=True)
    assert state_of(g) == OPEN
    seen = {}

    def before(ctx):
        seen["ctx"] = ctx

    g = table.fire(actor=Person("checker"), obj=g, name="finish", check_side=True, reason="核对无误", before=before)
    assert state_of(g) == DONE
    assert seen["ctx"].extra["ran"] == ["done", "second"]
    assert audit == [("thing.open", DRAFT, OPEN, ""), ("thing.finish", OPEN, DONE, "完成：核对无误")]


def test_the_system_skips_the_side_only_when_it_says_so():
    audit: list = []
    table = build(audit)
    g = make(DRAFT)
    with pytest.raises(TransitionForbidden):
        table.fire(actor="命令行", obj=g, name="open", check_side=True)
    table.fire(actor="命令行", obj=g, name="open", check_side=False)
    with pytest.raises(TransitionError):  # but never the state
        table.fire(actor="命令行", obj=g, name="open", check_side=False)
    assert len(audit) == 1


def test_a_stale_version_fires_nothing_and_the_second_click_is_refused():
    audit: list = []
    versions = {}
    table = build(audit, version=lambda g: versions.get(g.pk, 0))
    g = make(DRAFT)
    loaded = 0  # both clients read version 0
    table.fire(actor=Person("maker"), obj=g, name="open", check_side=True, version=loaded)
    versions[g.pk] = 1  # the write moved the version (an app's updated_at does this)
    with pytest.raises(StaleVersion, match="已被他人处理"):
        table.fire(actor=Person("maker"), obj=g, name="open", check_side=True, version=loaded)
    assert engine.http_status(StaleVersion("x")) == 409
    assert len(audit) == 1 and state_of(g) == OPEN


def test_waiting_query_per_side_and_state():
    table = build([])
    draft, open_, done = (make(n) for n in (DRAFT, OPEN, DONE))
    assert set(table.waiting(Person("maker"))) == {draft}
    assert set(table.waiting(Person("checker"))) == {open_}  # stamp never waits (waits_in empty)
    assert set(table.waiting(Person("maker", "checker"))) == {draft, open_}
    assert set(table.waiting(Person("maker", "checker"), sides=["checker"])) == {open_}
    assert list(table.waiting(Person())) == []
    assert done not in table.waiting(Person("maker", "checker"))


def test_a_table_refuses_an_unknown_side_or_a_duplicate_name():
    def make(transitions):
        return engine.Table(model=Thing, state_field="first_name", transitions=transitions,
                            sides=[engine.Side("maker", "起草人", lambda u, g: True)], audit=lambda ctx, verb: None)

    with pytest.raises(ValueError, match="unknown side"):
        make([Transition("open", "打开", frozenset({DRAFT}), OPEN, "nobody")])
    with pytest.raises(ValueError, match="duplicate"):
        make([Transition("open", "打开", frozenset({DRAFT}), OPEN, "maker")] * 2)
    with pytest.raises(ValueError, match="evidence"):
        make([Transition("open", "打开", frozenset({DRAFT}), OPEN, "maker", needs_evidence=True)])
