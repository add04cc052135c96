"""The interface is Chinese by default and English after the language switch."""

from __future__ import annotations

import pytest


@pytest.fixture
def office_client(users, campaign, client_for):
    return client_for(users["office"])


def _english(client):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    return client


def _page(client, url, **kw):
    r = client.get(url, **kw)
    assert r.status_code == 200, url
    return r, r.content.decode()


def test_default_is_chinese(office_client):
    r, html = _page(office_client, "/")
    assert r["Content-Language"] == "zh-hans"
    assert "整改率" in html
    assert "查摆问题" in html
    assert "Rectification rate" not in html


def test_accept_language_alone_does_not_switch(office_client):
    r = office_client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert r["Content-Language"] == "zh-hans"
    assert "整改率" in r.content.decode()


def test_english_home(office_client):
    r, html = _page(_english(office_client), "/")
    assert r["Content-Language"] == "en"
    for s in [
        "Rectification rate",
        "Problems identified",
        "Overdue, not rectified",
        "Rectification ledger",
        "Audit log",
        "Log out",
    ]:
        assert s in html, s
    assert "整改率" not in html
    assert "查摆问题" not in html


def test_english_units_page(office_client):
    client = _english(office_client)
    # /units/ opens the user's own unit ...
    r, html = _page(client, "/units/", follow=True)
    assert r["Content-Language"] == "en"
    for s in ["Subunits", "Unit name", "Unit type", "New subunit", "People", "Add person"]:
        assert s in html, s
    assert "下级单位" not in html
    # ... and lists search results.
    r, html = _page(client, "/units/", data={"q": "镇"})
    assert r["Content-Language"] == "en"
    for s in ["Parent unit", "Unit code", "Name or code", "2 units"]:
        assert s in html, s
    assert "平安镇" in html  # data stays as entered
    assert "上级单位" not in html


def test_english_ledger_list(office_client):
    r, html = _page(_english(office_client), "/ledger/")
    assert r["Content-Language"] == "en"
    for s in [
        "Problem rectification ledger",
        "Export current filter",
        "Responsible unit",
        "Due soon",
        "Filter",
    ]:
        assert s in html, s
    assert "问题整改台账" not in html


def test_switch_back_to_chinese(office_client):
    client = _english(office_client)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    r, html = _page(client, "/")
    assert r["Content-Language"] == "zh-hans"
    assert "整改率" in html


def test_english_catalog_is_complete():
    """Every msgid in the English catalog has a translation (no empty or fuzzy entries);
    multi-line and plural msgstrs are read whole (tests/test_english_pages.py)."""
    from pathlib import Path

    import duban
    from tests.test_english_pages import _problems

    po = Path(duban.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
    assert po.with_suffix(".mo").exists()
    assert _problems(po.read_text(encoding="utf-8")) == []
