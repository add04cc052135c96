"""Issue 8 item 9: no lost updates on the problem edit form and PATCH.

Only fields that really changed count (units by id, dates as dates); a save from an
outdated form or with a stale `version` is refused with what changed, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser

import pytest

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.ledger import services
from duban.ledger.models import Problem

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The fields of the page's POST form as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._in_form = False
        self._textarea = self._select = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "radio", "submit"):
            self.data[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea, self.data[a["name"]] = a["name"], ""
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            # like a browser: the newline right after <textarea> is not part of the value
            self.data[self._textarea] = self.data[self._textarea].removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [v for v, sel in self._options if sel] or [v for v, _ in self._options[:1]]
            self.data[self._select] = chosen[0] if chosen else ""
            self._select = None


def load_form(client, problem) -> dict[str, str]:
    r = client.get(f"/ledger/{problem.pk}/edit/")
    assert r.status_code == 200
    parser = _Form()
    parser.feed(r.content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


@pytest.fixture
def office2(users, tree):
    """A second person of the campaign office."""
    from django.contrib.auth import get_user_model

    from duban.orgs.models import Role
    from duban.orgs.services import membership_set

    u = get_user_model().objects.create_user(username="office2", password="pw")
    membership_set(actor=SystemActor("测试"), user=u, unit=tree["root"], role=Role.OFFICE)
    return u


def test_liaison_changes_only_the_owner_on_the_page(users, client_for, problem_a):
    c = client_for(users["liaison_a"])
    data = load_form(c, problem_a)
    assert set(data) >= {"owner", "measures", "version"} and "description" not in data and "unit" not in data
    data["owner"] = "张三"
    r = c.post(f"/ledger/{problem_a.pk}/edit/", data)
    assert r.status_code == 302, r.content.decode()[-2000:]
    p = Problem.objects.get(pk=problem_a.pk)
    assert p.owner == "张三" and p.measures == problem_a.measures and p.deadline == problem_a.deadline
    ev = AuditEvent.objects.get(verb="problem.update", object_id=str(p.pk))
    assert set(ev.changes) == {"owner"}


def test_office_saving_an_unchanged_form_changes_nothing(users, client_for, problem_a):
    c = client_for(users["office"])
    data = load_form(c, problem_a)
    assert data["unit"] == "一村" and data["deadline"] == problem_a.deadline.isoformat()
    before = Problem.objects.get(pk=problem_a.pk).updated_at
    assert c.post(f"/ledger/{problem_a.pk}/edit/", data).status_code == 302
    assert Problem.objects.get(pk=problem_a.pk).updated_at == before
    assert not AuditEvent.objects.filter(verb="problem.update", object_id=str(problem_a.pk)).exists()


def test_outdated_form_gets_a_conflict_and_keeps_the_other_change(users, office2, client_for, problem_a):
    first, second = client_for(users["office"]), client_for(office2)
    stale = load_form(second, problem_a)  # office2 opens the form …
    fresh = load_form(first, problem_a)  # … office changes 责任人 meanwhile
    fresh["owner"] = "李四"
    assert first.post(f"/ledger/{problem_a.pk}/edit/", fresh).status_code == 302

    stale["measures"] = "每日清运两次"  # office2 saves the old form with only its own change
    r = second.post(f"/ledger/{problem_a.pk}/edit/", stale)
    assert r.status_code == 409
    page = r.content.decode()
    assert "已被他人修改" in page and "责任人" in page and "李四" in page
    p = Problem.objects.get(pk=problem_a.pk)
    assert p.owner == "李四" and p.measures == ""  # nothing written, nothing reverted

    # The conflict form holds the current 责任人, office2's 整改措施 and the new version: saving it works.
    again = _Form()
    again.feed(page)
    again.data.pop("csrfmiddlewaretoken", None)
    assert again.data["owner"] == "李四" and again.data["measures"] == "每日清运两次"
    assert second.post(f"/ledger/{problem_a.pk}/edit/", again.data).status_code == 302
    p = Problem.objects.get(pk=problem_a.pk)
    assert p.owner == "李四" and p.measures == "每日清运两次"


def test_both_editors_changed_the_same_field(users, office2, client_for, problem_a):
    first, second = client_for(users["office"]), client_for(office2)
    stale, fresh = load_form(second, problem_a), load_form(first, problem_a)
    fresh["owner"] = "李四"
    first.post(f"/ledger/{problem_a.pk}/edit/", fresh)
    stale["owner"] = "王五"
    r = second.post(f"/ledger/{problem_a.pk}/edit/", stale)
    assert r.status_code == 409
    page = r.content.decode()
    assert "李四" in page and "王五" in page  # theirs named, mine kept in the field
    assert Problem.objects.get(pk=problem_a.pk).owner == "李四"


def _patch(client, problem_id, body):
    return client.patch(f"/api/problems/{problem_id}", data=json.dumps(body), content_type="application/json")


def test_api_patch_with_a_stale_version_answers_409(users, office2, client_for, problem_a):
    first, second = client_for(users["office"]), client_for(office2)
    v0 = second.get(f"/api/problems/{problem_a.pk}").json()["version"]
    assert first.get("/api/problems").json()["items"][0]["version"] == v0
    r = _patch(first, problem_a.pk, {"owner": "李四", "version": v0})
    assert r.status_code == 200
    v1 = r.json()["version"]
    assert v1 != v0
    r = _patch(second, problem_a.pk, {"measures": "每日清运", "version": v0})
    assert r.status_code == 409
    body = r.json()
    assert body["version"] == v1 and set(body["changed"]) == {"owner"}
    assert body["changed"]["owner"]["after"] == "李四" and body["changed"]["owner"]["by"] == "office"
    assert Problem.objects.get(pk=problem_a.pk).measures == ""
    r = _patch(second, problem_a.pk, {"measures": "每日清运", "version": v1})
    assert r.status_code == 200 and r.json()["owner"] == "李四" and r.json()["measures"] == "每日清运"
    # without a version the client takes the risk: accepted as before
    assert _patch(second, problem_a.pk, {"owner": "王五"}).status_code == 200


def test_transitions_and_notes_change_the_version(users, client_for, problem_a):
    c = client_for(users["liaison_a"])
    v0 = c.get(f"/api/problems/{problem_a.pk}").json()["version"]
    c.post(f"/api/problems/{problem_a.pk}/notes", data=json.dumps({"note": "已安排清运车"}), content_type="application/json")
    r = _patch(c, problem_a.pk, {"owner": "张三", "version": v0})
    assert r.status_code == 409 and set(r.json()["changed"]) == {"progress"}


def test_api_patch_of_unchanged_fields_is_not_a_change(users, client_for, problem_a, tree):
    """A liaison's client that sends the whole problem back changes only what differs."""
    c = client_for(users["liaison_a"])
    cur = c.get(f"/api/problems/{problem_a.pk}").json()
    body = {k: cur[k] for k in ("description", "unit_id", "focus_area_id", "source", "supervisor_id", "measures", "deadline", "kind", "version")}
    body["owner"] = "张三"
    r = _patch(c, problem_a.pk, body)
    assert r.status_code == 200, r.content
    assert r.json()["owner"] == "张三"
    assert _patch(c, problem_a.pk, {"deadline": "2031-01-01"}).status_code == 403  # a real change of another field


def test_service_compares_normalized_values(users, problem_a, tree):
    from duban.orgs.models import OrgUnit

    same_unit = OrgUnit.objects.get(pk=tree["village_a1"].pk)  # another instance of the same unit
    same_day = dt.datetime.combine(problem_a.deadline, dt.time(9))
    p = services.problem_update(actor=users["liaison_a"], problem=problem_a, unit=same_unit, deadline=same_day, owner=" 张三 ")
    assert p.owner == "张三"
    assert set(AuditEvent.objects.get(verb="problem.update", object_id=str(p.pk)).changes) == {"owner"}


def test_bad_patch_values_are_4xx_and_write_nothing(users, client_for, problem_a):
    c = client_for(users["office"])
    for body in ({"unit_id": None}, {"description": None}, {"source": "bogus"}, {"version": "abc"}, {"deadline": "下个月"}):
        r = _patch(c, problem_a.pk, body)
        assert 400 <= r.status_code < 500, (body, r.status_code)
    p = Problem.objects.get(pk=problem_a.pk)
    assert p.unit_id == problem_a.unit_id and p.description == problem_a.description and p.updated_at == problem_a.updated_at
