"""The materialised-path tree: subtrees, moves, regions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from duban.core.actors import SystemActor
from duban.orgs.models import OrgUnit, UnitKind
from duban.orgs.services import unit_create, unit_update


@pytest.mark.django_db
def test_paths_depths_and_regions(tree):
    root, town_a, v = tree["root"], tree["town_a"], tree["village_a1"]
    v.refresh_from_db()
    assert v.path.startswith(town_a.path) and town_a.path.startswith(root.path)
    assert (root.depth, town_a.depth, v.depth) == (0, 1, 2)
    assert v.region_id == town_a.pk and town_a.region_id == town_a.pk and root.region_id == root.pk
    assert set(town_a.subtree().values_list("name", flat=True)) == {"平安镇", "一村", "二村"}
    assert [a.name for a in v.ancestors()] == ["洮北区", "平安镇", "一村"]


@pytest.mark.django_db
def test_moving_a_unit_moves_its_subtree(tree):
    town_b = tree["town_b"]
    extra = unit_create(actor=SystemActor("t"), name="一组", kind=UnitKind.OTHER, parent=tree["village_a1"])
    unit_update(actor=SystemActor("t"), unit=tree["village_a1"], parent=town_b)
    v = OrgUnit.objects.get(pk=tree["village_a1"].pk)
    extra.refresh_from_db()
    assert v.path.startswith(town_b.path) and extra.path.startswith(v.path)
    assert extra.depth == 3 and v.depth == 2
    assert extra.region_id == town_b.pk
    assert set(OrgUnit.objects.get(pk=town_b.pk).subtree().values_list("name", flat=True)) == {"洮河镇", "三村", "一村", "一组"}


@pytest.mark.django_db
def test_cannot_move_under_own_descendant_or_duplicate_names(tree):
    with pytest.raises(ValidationError):
        unit_update(actor=SystemActor("t"), unit=tree["town_a"], parent=tree["village_a1"])
    with pytest.raises(ValidationError):
        unit_create(actor=SystemActor("t"), name="一村", kind=UnitKind.VILLAGE, parent=tree["town_a"])
    with pytest.raises(ValidationError):
        unit_create(actor=SystemActor("t"), name="  ", kind=UnitKind.VILLAGE, parent=tree["town_a"])
    # The same name under another parent is fine (villages repeat across towns).
    unit_create(actor=SystemActor("t"), name="一村", kind=UnitKind.VILLAGE, parent=tree["town_b"])


@pytest.mark.django_db
def test_unit_kind_labels_as_offices_type_them():
    assert UnitKind.from_label("街道") == UnitKind.TOWN
    assert UnitKind.from_label("社区") == UnitKind.VILLAGE
    assert UnitKind.from_label("部门") == UnitKind.DEPARTMENT
    assert UnitKind.from_label("乡镇街道") == UnitKind.TOWN
    assert UnitKind.from_label("火星") is None
