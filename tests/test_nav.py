"""The menu offers each person exactly the pages they may open, and lights the current one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse


def menu_links(html: str) -> dict[str, str]:
    nav = re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)
    return {label: href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


def lit(html: str) -> list[str]:
    nav = re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)
    return re.findall(r'class="on"[^>]*>([^<]+)<', nav)


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "present", "absent"), [
    ("office", {"首页", "我的待办", "整改台账", "挂图作战", "意见建议", "热点问题", "活动", "单位", "审计日志"}, set()),
    ("leader", {"首页", "整改台账", "挂图作战", "热点问题", "单位"}, {"审计日志"}),
    ("liaison_a", {"首页", "我的待办", "整改台账", "挂图作战", "意见建议", "单位"}, {"热点问题", "审计日志"}),
])
def test_menu_matches_the_permission_rule_and_every_entry_opens(client_for, users, campaign, who, present, absent):
    c = client_for(users[who])
    links = menu_links(c.get("/").content.decode())
    assert present <= set(links) and not absent & set(links)
    for label, href in links.items():
        if href.startswith("/api/"):
            continue
        assert c.get(href, follow=True).status_code == 200, (who, label, href)


@pytest.mark.django_db
def test_the_current_section_is_lit(client_for, users, campaign, tree):
    from duban.ledger.services import problem_create

    p = problem_create(actor=users["office"], campaign=campaign, description="路灯不亮", unit=tree["town_a"], kind="immediate")
    c = client_for(users["office"])
    assert lit(c.get("/").content.decode()) == ["首页"]
    assert lit(c.get(reverse("ledger:problem_detail", kwargs={"pk": p.pk})).content.decode()) == ["整改台账"]
    assert lit(c.get(reverse("ledger:my_items")).content.decode()) == ["我的待办"]
    assert lit(c.get(reverse("orgs:unit_detail", kwargs={"pk": tree["town_a"].pk})).content.decode()) == ["单位"]
    for page in ("plan:map", "plan:schedule", "plan:baselines"):  # the battle map's three tabs
        assert lit(c.get(reverse(page)).content.decode()) == ["挂图作战"], page
