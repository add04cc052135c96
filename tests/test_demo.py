"""`duban demo --no-serve` at district scale: the 洮北-shaped tree and the demo accounts."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db(transaction=True)
def test_district_demo_builds_and_accounts_are_scoped():
    from django.contrib.auth import authenticate

    from duban.campaigns.models import Campaign
    from duban.orgs.models import OrgUnit, UnitKind
    from duban.orgs.scoping import visible_units

    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    text = out.getvalue()
    assert "admin" in text and "duban-demo" in text
    assert OrgUnit.objects.filter(kind=UnitKind.VILLAGE).count() == 148
    assert OrgUnit.objects.filter(kind=UnitKind.TOWN).count() == 12
    assert OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT).count() == 20
    assert Campaign.objects.get().focus_areas.count() == 6
    admin = authenticate(username="admin", password="duban-demo")
    unit1 = authenticate(username="unit1", password="duban-demo")
    unit2 = authenticate(username="unit2", password="duban-demo")
    assert admin and unit1 and unit2 and authenticate(username="leader", password="duban-demo")
    seen1, seen2 = set(visible_units(unit1).values_list("id", flat=True)), set(visible_units(unit2).values_list("id", flat=True))
    assert seen1 and seen2 and not (seen1 & seen2)
    assert visible_units(admin).count() == OrgUnit.objects.count()
    # Running it again keeps the data (no duplicate campaign).
    call_command("demo", "--no-serve", stdout=io.StringIO())
    assert Campaign.objects.count() == 1
