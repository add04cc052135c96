"""The region form of subtrees (orgs.scoping.subtree_condition / scope_by_region) selects
exactly the rows of the plain unit-subtree form, and the list's status tabs (partly read
from the roll-ups) equal counting the rows — for every unit, every kind of user, two trees,
and after a unit moves to another region."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Q

from duban.core.actors import SystemActor
from duban.ledger import queries
from duban.ledger.models import Problem, Status
from duban.orgs.models import OrgUnit, Role
from duban.orgs.scoping import outer_grant_paths, scope, sees_everything, subtree_condition

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, users, make_problem, campaign):
    from duban.ledger import services
    from duban.orgs.models import UnitKind
    from duban.orgs.services import unit_create

    other = unit_create(actor=SystemActor("t"), name="镇赉县", kind=UnitKind.COUNTY)  # a second tree
    other_town = unit_create(actor=SystemActor("t"), name="坦途镇", kind=UnitKind.TOWN, parent=other)
    units = [tree["root"], tree["town_a"], tree["village_a1"], tree["village_a2"], tree["village_b1"], tree["dept"], other, other_town]
    for i, unit in enumerate(units):
        make_problem(unit, description=f"问题{i}")
    statuses = [Status.SIGNED_OFF, Status.IN_PROGRESS, Status.SIGNED_OFF, Status.PENDING, Status.RETURNED]
    rows = [
        services.NewProblem(seq=1000 + i, description=f"批量{i}", unit_id=u.pk, region_id=u.region_id, status=statuses[i % 5],
                            deadline=dt.date(2022, 3, 1), completed_on=dt.date(2022, 2, 1) if statuses[i % 5] == Status.SIGNED_OFF else None)
        for i, u in enumerate(units * 4)
    ]
    with transaction.atomic():
        services.problems_bulk_insert(actor=SystemActor("t"), campaign=campaign, rows=rows)
    extra = {
        "village": _member("village_user", tree["village_a1"], Role.LIAISON),
        "two": _member("two_grants", tree["town_b"], Role.LIAISON, also=(other_town, Role.LIAISON)),
        "other_office": _member("other_office", other, Role.OFFICE),
    }
    return {"units": units, "users": {**users, **extra}}


def _member(name, unit, role, also=None):
    from django.contrib.auth import get_user_model

    from duban.orgs.services import membership_set

    u = get_user_model().objects.create_user(username=name, password="pw")
    membership_set(actor=SystemActor("t"), user=u, unit=unit, role=role)
    if also:
        membership_set(actor=SystemActor("t"), user=u, unit=also[0], role=also[1])
    return u


def _fresh(user):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user.pk)  # no cached grants


def _ids(qs):
    return sorted(qs.values_list("id", flat=True))


def plain_scope(user, qs):
    """The reference: the plain unit-subtree form of the scoping rule."""
    if sees_everything(user):
        return qs
    cond = Q(pk__in=[])
    for path in outer_grant_paths(user):
        cond |= Q(unit__in=OrgUnit.objects.filter(path__subtree=path).values("id"))
    return qs.filter(cond)


def _check(world):
    for unit in OrgUnit.objects.all():
        plain = Problem.objects.filter(unit__in=OrgUnit.objects.filter(path__subtree=unit.path).values("id"))
        region = Problem.objects.filter(subtree_condition("unit", unit.path, region_field="region"))
        assert _ids(region) == _ids(plain), unit.name
    for name, user in world["users"].items():
        assert _ids(scope(_fresh(user), Problem.objects.all())) == _ids(plain_scope(_fresh(user), Problem.objects.all())), name
        for unit in [None, *OrgUnit.objects.all()]:
            for status, overdue in (("", False), (Status.IN_PROGRESS, False), (Status.SIGNED_OFF, False), ("", True)):
                f = queries.ProblemFilter(unit=unit.pk if unit else None, status=status, overdue=overdue)
                u = _fresh(user)
                expected = scope(u, Problem.objects.all())
                if unit:
                    expected = expected.filter(unit__path__subtree=unit.path)
                if overdue:
                    expected = expected.filter(queries.overdue_q())
                shown = queries.problem_list(_fresh(user), f)
                assert _ids(shown) == _ids(expected.filter(status=status) if status else expected), (name, unit, status)
                assert queries.problem_count(_fresh(user), f) == shown.count(), (name, unit, status)
                counts = queries.status_counts(_fresh(user), f)
                for s in Status.values:
                    assert counts[s] == expected.filter(status=s).count(), (name, unit, s)
                assert counts["all"] == expected.count()


def test_region_form_matches_plain_subtrees(world):
    _check(world)


def test_region_form_follows_a_moved_unit(world, tree):
    from duban.orgs.services import unit_update

    unit_update(actor=SystemActor("t"), unit=tree["village_a1"], parent=tree["town_b"])  # 一村 moves to 洮河镇 (another region)
    _check(world)


def test_list_page_counts_match_rows(world, tree, client_for):
    for name in ("office", "liaison_a", "two"):
        user = world["users"][name]
        c = client_for(user)
        for unit in (None, tree["root"], tree["town_a"], tree["village_a1"]):
            for status in ("", Status.SIGNED_OFF, Status.IN_PROGRESS):
                url = "/ledger/?" + (f"unit={unit.pk}&" if unit else "") + (f"status={status}" if status else "")
                resp = c.get(url)
                assert resp.status_code == 200
                expected = scope(_fresh(user), Problem.objects.all())
                if unit:
                    expected = expected.filter(unit__path__subtree=unit.path)
                if status:
                    expected = expected.filter(status=status)
                assert resp.context["page"].paginator.count == expected.count(), (name, url)
                assert [p.pk for p in resp.context["page"]] == list(expected.order_by("-id").values_list("id", flat=True)[:50]), (name, url)
                oldest = c.get(url + "&sort=id")
                assert [p.pk for p in oldest.context["page"]] == list(expected.order_by("id").values_list("id", flat=True)[:50]), (name, url)


def test_pages_read_by_ids_first(world, tree):
    user = _fresh(world["users"]["liaison_a"])  # a whole region: pages are read ids first
    for sort in ("-id", "id"):
        f = queries.ProblemFilter(sort=sort)
        expected = list(scope(user, Problem.objects.all()).order_by(sort).values_list("id", flat=True))
        got, number = [], 1
        while True:
            page = queries.paginate(queries.problem_list(user, f), f, number, per_page=3)
            got += [p.pk for p in page]
            if not page.has_next():
                break
            number += 1
        assert got == expected and page.paginator.count == len(expected)
