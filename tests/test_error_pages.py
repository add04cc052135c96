"""403/404/400/500 inside the layout, in Chinese, with the reason the service gave;
never Django's internals."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse


@pytest.mark.django_db
def test_404_inside_the_layout_with_the_views_reason(client_for, users, tree, campaign):
    from duban.ledger.services import problem_create

    p = problem_create(actor=users["office"], campaign=campaign, description="路灯不亮", unit=tree["town_b"], kind="immediate")
    r = client_for(users["liaison_a"]).get(reverse("ledger:problem_detail", kwargs={"pk": p.pk}))
    html = r.content.decode()
    assert r.status_code == 404
    assert "未找到该问题或无权查看" in html and 'class="top"' in html and "整改台账" in html  # the nav


@pytest.mark.django_db
def test_404_of_an_unknown_path_says_so_in_chinese_without_internals(client_for, users):
    r = client_for(users["office"]).get("/no/such/page/")
    html = r.content.decode()
    assert r.status_code == 404 and "这个页面不存在" in html
    assert "Resolver404" not in html and "tried" not in html and "Not Found" not in html


@pytest.mark.django_db
def test_403_shows_the_services_chinese_reason(client_for, users, campaign):
    r = client_for(users["liaison_a"]).post(reverse("campaigns:detail", kwargs={"pk": campaign.pk}), {"name": "改名"})
    html = r.content.decode()
    assert r.status_code == 403 and "只有推进办可以修改活动" in html and 'class="top"' in html


@pytest.mark.django_db
def test_csrf_failure_is_a_chinese_page(users):
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["office"])
    r = c.post(reverse("logout"))
    html = r.content.decode()
    assert r.status_code == 403 and "表单已过期" in html and "CSRF verification failed" not in html


@pytest.mark.django_db
def test_500_page_needs_no_database_and_says_what_happened():
    from duban.core.errors import server_error

    r = server_error(RequestFactory().get("/"))
    html = r.content.decode()
    assert r.status_code == 500 and "系统出错了" in html and "Server Error" not in html


def test_reason_is_shown_only_when_written_for_people():
    from django.http import Http404

    from duban.core.errors import reason_of

    assert reason_of(Http404("未找到该问题或无权查看")) == "未找到该问题或无权查看"
    assert reason_of(Http404("No Problem matches the given query.")) == ""
    assert reason_of(Http404({"path": "x", "tried": []})) == ""
    assert reason_of(None) == ""


@pytest.mark.django_db
def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r["Location"].endswith("favicon.svg")
    assert client.get(r["Location"]).status_code == 200
