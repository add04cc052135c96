"""A page offers an action exactly when its route lets the person do it (issue 9, item 8):
for each action and each role, the button or menu entry is there iff the route does not
answer 403 — and the expected roles are pinned, so hiding and refusing cannot drift
together unnoticed."""

from __future__ import annotations

import pytest

# (action, page that offers it, the href or form action offering it, how the route is
# tried, the roles allowed). A POST route is tried only for roles that must be refused
# (running it for real is each app's own test).
ACTIONS = [
    ("登记问题", "/ledger/", "/ledger/new/", "get", {"office", "liaison_a"}),
    ("导入台账", "/ledger/", "/ledger/import/", "get", {"office"}),
    ("热点问题", "/", "/triage/hot/", "get", {"office", "leader"}),
    ("热点问题（意见建议页）", "/intake/", "/triage/hot/", "get", {"office", "leader"}),
    ("登记来电/来信", "/intake/", "/intake/new/", "get", {"office", "liaison_a"}),
    ("批量导入意见建议", "/intake/", "/intake/import/", "get", {"office"}),
    ("分析热点", "/triage/hot/", "/triage/hot/run/", "post", {"office"}),
    ("训练分拣模型", "/triage/models/", "/triage/models/train/", "post", {"office"}),
]
ROLES = ("office", "leader", "liaison_a")


def offered(html: str, href: str) -> bool:
    return f'href="{href}"' in html or f'action="{href}"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(("action", "page", "href", "method", "allowed"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_page_offers_an_action_iff_the_route_allows_it(client_for, users, campaign, who, action, page, href, method, allowed):
    c = client_for(users[who])
    shown = c.get(page)
    if shown.status_code == 403:  # the page itself is closed to this role: nothing on it is offered
        assert who not in allowed, (action, who)
        return
    assert shown.status_code == 200, (page, who)
    assert offered(shown.content.decode(), href) == (who in allowed), (action, who, "offered" if who not in allowed else "hidden")
    if method == "get":
        status = c.get(href).status_code
        assert (status != 403) == (who in allowed), (action, who, status)
        if who in allowed:
            assert status == 200, (action, who, status)
    elif who not in allowed:
        assert c.post(href, {"target": "area"}).status_code == 403, (action, who)


@pytest.mark.django_db
def test_a_leader_is_not_sent_into_a_form_that_cannot_be_saved(client_for, users, campaign, tree):
    """Before: the leader opened 登记问题, filled it in and got a misleading error on save."""
    leader = client_for(users["leader"])
    assert leader.get("/ledger/new/").status_code == 403
    r = leader.post("/ledger/new/", {"description": "路灯不亮", "unit": tree["town_a"].pk, "kind": "immediate"})
    assert r.status_code == 403 and "联络员" in r.content.decode()
    from duban.ledger.models import Problem

    assert not Problem.objects.exists()
