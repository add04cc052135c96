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
    from duban.plan.demo import EXTRA_DEPARTMENTS

    # 20 bureaus, and the plan's responsible departments the district lacked (江源's 30)
    assert OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT).count() == 20 + len(EXTRA_DEPARTMENTS)
    assert Campaign.objects.get().focus_areas.count() == 6
    # Every password check goes through the login throttle, which needs the request.
    from django.test import RequestFactory

    def login(username):
        return authenticate(RequestFactory().post("/login/"), username=username, password="duban-demo")

    admin, unit1, unit2 = login("admin"), login("unit1"), login("unit2")
    assert admin and unit1 and unit2 and login("leader")
    seen1, seen2 = set(visible_units(unit1).values_list("id", flat=True)), set(visible_units(unit2).values_list("id", flat=True))
    assert seen1 and seen2 and not (seen1 & seen2)
    assert visible_units(admin).count() == OrgUnit.objects.count()
    # Running it again keeps the data (no duplicate campaign).
    call_command("demo", "--no-serve", stdout=io.StringIO())
    assert Campaign.objects.count() == 1
