"""Attachments in a unit's round form (issue 13 item 2): photos and documents sent with a line
are stored on the item itself through its own service (the task's 佐证材料, the problem's
evidence, the project's files), listed on the form and the read-only submission with links the
item's download serves; a bad file is refused naming the item and writes nothing; the CSRF
token is needed."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from duban.ledger.demo import tiny_png
from duban.ledger.models import Evidence
from duban.plan.models import ItemEvidence
from duban.projects.models import ProjectFile
from duban.rounds import services
from duban.rounds.models import Line, LineKind, SubmissionStatus
from tests.rounds.test_pages import _key, _who, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _png(name="现场照片.png"):
    return SimpleUploadedFile(name, tiny_png(), content_type="image/png")


def test_a_draft_with_photos_stores_them_on_the_items(users, world):  # noqa: F811
    c = _who(users, "liaison_a")
    sub = world["subs"]["town_a"]
    t, p = _key("task", world["task"]), _key("problem", world["problem"])
    r = c.post(reverse("rounds:submission", kwargs={"pk": sub.pk}), {
        "action": "draft", "version": sub.version, f"{t}-done": "窗口改造", f"{t}-files": [_png("窗口.png"), _png("窗口2.png")],
        f"{p}-files": _png("市场.png")})
    assert r.status_code == 302, r.content.decode()[:500]
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.DRAFT
    ev = ItemEvidence.objects.filter(item=world["task"])
    assert sorted(ev.values_list("name", flat=True)) == ["窗口.png", "窗口2.png"] and {e.unit_id for e in ev} == {sub.unit_id}
    assert Evidence.objects.get(problem=world["problem"]).name == "市场.png"
    line = Line.objects.get(submission=sub, kind=LineKind.TASK)
    assert [f["name"] for f in line.files] == ["窗口.png", "窗口2.png"]
    # the form lists them with the item's own download, which the office and the unit may open
    page = c.get(reverse("rounds:submission", kwargs={"pk": sub.pk})).content.decode()
    links = re.findall(r'href="(/plan/evidence/\d+/)"', page)
    assert len(links) == 2 and "市场.png" in page
    assert c.get(links[0]).status_code == 200 and _who(users, "office").get(links[0]).status_code == 200
    assert _who(users, "outsider").get(links[0]).status_code == 404
    # a second draft adds to them; submitting keeps them and shows them read-only
    r = c.post(reverse("rounds:submission", kwargs={"pk": sub.pk}), {
        "action": "submit", "version": sub.version, f"{t}-done": "窗口改造完成", f"{t}-files": _png("验收.png"), f"{p}-done": "已清理"})
    assert r.status_code == 302, r.content.decode()[:500]
    line.refresh_from_db()
    assert [f["name"] for f in line.files] == ["窗口.png", "窗口2.png", "验收.png"]
    page = _who(users, "office").get(reverse("rounds:submission", kwargs={"pk": sub.pk})).content.decode()
    assert "验收.png" in page and "附件" in page


def test_a_project_line_attaches_to_the_project_files(users, world):  # noqa: F811
    sub = world["subs"]["town_b"]
    pr = _key("project", world["project"])
    r = _who(users, "liaison_b").post(reverse("rounds:submission", kwargs={"pk": sub.pk}), {
        "action": "draft", "version": sub.version, f"{pr}-done": "冷库主体完工", f"{pr}-files": _png("冷库.png")})
    assert r.status_code == 302
    assert ProjectFile.objects.get(project=world["project"]).name == "冷库.png"


def test_a_bad_file_is_refused_naming_the_item_and_nothing_is_written(users, world):  # noqa: F811
    c = _who(users, "liaison_a")
    sub = world["subs"]["town_a"]
    t, p = _key("task", world["task"]), _key("problem", world["problem"])
    fake = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    r = c.post(reverse("rounds:submission", kwargs={"pk": sub.pk}), {
        "action": "draft", "version": sub.version, f"{t}-done": "窗口改造", f"{t}-files": _png(), f"{p}-files": fake})
    assert r.status_code == 400
    page = r.content.decode()
    assert "集贸市场占道经营" in page and "类型不允许" in page
    assert not ItemEvidence.objects.exists() and not Evidence.objects.exists() and not Line.objects.filter(submission=sub).exists()
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.PENDING


def test_at_most_five_files_a_line(users, world):  # noqa: F811
    sub = world["subs"]["town_a"]
    t = _key("task", world["task"])
    with pytest.raises(ValidationError, match="最多5个附件"):
        services.submission_save(actor=users["liaison_a"], submission=sub, lines=[
            services.LineInput("task", world["task"].pk, done="x", files=tuple((f"{i}.png", tiny_png()) for i in range(6)))])
    r = _who(users, "liaison_a").post(reverse("rounds:submission", kwargs={"pk": sub.pk}), {
        "action": "draft", "version": sub.version, f"{t}-files": [_png(f"{i}.png") for i in range(6)]})
    assert r.status_code == 400 and "每项最多5个附件" in r.content.decode()
    assert not ItemEvidence.objects.exists()


def test_the_upload_needs_the_csrf_token(users, world):  # noqa: F811
    sub = world["subs"]["town_a"]
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["liaison_a"])
    url = reverse("rounds:submission", kwargs={"pk": sub.pk})
    t = _key("task", world["task"])
    assert c.post(url, {"action": "draft", f"{t}-files": _png()}).status_code == 403
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', c.get(url).content.decode()).group(1)
    assert c.post(url, {"csrfmiddlewaretoken": token, "action": "draft", "version": sub.version, f"{t}-files": _png()}).status_code == 302
    assert ItemEvidence.objects.count() == 1


def test_the_api_attaches_a_file_to_an_item_of_the_form(users, world, client_for):  # noqa: F811
    sub = world["subs"]["town_a"]
    c = client_for(users["liaison_a"])
    url = f"/api/rounds/{world['round'].pk}/submissions/{sub.unit_id}/files"
    r = c.post(url, {"kind": "problem", "object_id": world["problem"].pk, "file": _png("占道.png")})
    assert r.status_code == 201, r.content
    assert r.json()["name"] == "占道.png" and r.json()["url"].startswith("/ledger/evidence/")
    assert Evidence.objects.get(problem=world["problem"]).name == "占道.png"
    form = c.get(f"/api/rounds/{world['round'].pk}/submissions/{sub.unit_id}").json()
    line = next(i["line"] for i in form["items"] if i["kind"] == "problem")
    assert [f["name"] for f in line["files"]] == ["占道.png"] and line["done"] == ""
    # not an item of this unit's form, a bad file, another town's form
    assert c.post(url, {"kind": "project", "object_id": world["project"].pk, "file": _png()}).status_code == 422
    bad = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")
    r = c.post(url, {"kind": "problem", "object_id": world["problem"].pk, "file": bad})
    assert r.status_code == 422 and "类型不允许" in r.json()["detail"]
    other = f"/api/rounds/{world['round'].pk}/submissions/{world['subs']['town_b'].unit_id}/files"
    assert c.post(other, {"kind": "task", "object_id": world["task"].pk, "file": _png()}).status_code == 404
    assert Evidence.objects.count() == 1
