"""The trail in words: no verb codes, no True, no braces, one time zone, no truncated ids."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from duban.audit import labels


def test_every_verb_the_code_writes_has_a_label():
    import pathlib

    src = pathlib.Path(labels.__file__).resolve().parents[1]
    written = set()
    for path in src.rglob("*.py"):
        written |= set(re.findall(r'verb="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    from duban.ledger.workflow import TRANSITIONS

    written |= {f"problem.{name}" for name in TRANSITIONS}
    assert written, "found no verbs: the scan is broken"
    unlabelled = sorted(v for v in written if v not in labels._verbs())
    assert unlabelled == []


def test_values_read_as_words():
    assert labels.value_text(True) == "是" and labels.value_text(None) == "—"
    assert labels.value_text(0.7220226302286287) == "0.722"
    # stored in UTC, shown in Beijing time
    assert labels.value_text("2024-03-01T02:30:00+00:00") == "2024-03-01 10:30"
    text = labels.value_text({"cv_macro_f1": {"mean": 0.72202, "folds": 3}, "grouped_duplicates": True})
    assert "{" not in text and "cv_macro_f1" not in text and "0.722" in text and "是" in text
    assert labels.value_text("x" * 500).endswith("…") and len(labels.value_text("x" * 500)) == labels.MAX_VALUE_CHARS


def test_unlabelled_verbs_still_read_as_words():
    assert labels.verb_label("problem.sign_off") == "销号"
    assert labels.verb_label("orgunit.frobnicate") == "操作单位"
    assert "." not in labels.verb_label("nothing.create")


@pytest.mark.django_db
def test_audit_page_shows_labels_not_codes(client_for, users, tree, campaign):
    from duban.audit.services import user_action
    from duban.campaigns.services import campaign_update
    from duban.ledger import services

    with user_action():
        p = services.problem_create(actor=users["office"], campaign=campaign, description="路灯不亮", unit=tree["town_a"], kind="immediate")
        services.problem_claim(actor=users["liaison_a"], problem=p)
    campaign_update(actor=users["office"], campaign=campaign, is_active=False)
    raw = client_for(users["office"]).get(reverse("audit:list")).content.decode()
    html = re.sub(r'(value|href|title)="[^"]*"', "", raw)  # what a person reads, not attribute values
    for code in ("problem.claim", "problem.create", "campaign.update", ">True<", "True →", "→ False"):
        assert code not in html, code
    assert "认领" in html and "登记问题" in html and "修改活动" in html and "是 → 否" in html
    assert '<option value="problem.claim"' in raw  # the filter keeps the code as its value only
    assert "单位代码：— → —" not in html
    r = client_for(users["office"]).get(reverse("audit:list"), {"since": "2024-02-30", "verb": "problem.claim"})
    assert r.status_code == 200 and "不是有效日期" in r.content.decode()


@pytest.mark.django_db
def test_history_times_are_beijing_time(client_for, users, campaign):
    from duban.audit.services import audit_record

    audit_record(actor=users["office"], verb="campaign.update", obj=campaign,
                 changes={"closed_at": [None, dt.datetime(2024, 3, 1, 2, 30, tzinfo=dt.UTC).isoformat()]})
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"
    html = client_for(users["office"]).get(reverse("campaigns:detail", kwargs={"pk": campaign.pk})).content.decode()
    assert "2024-03-01 10:30" in html and "+00:00" not in html
