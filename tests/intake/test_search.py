"""The inbox's text search runs on the bigram index (core/textsearch.py) on both databases:
every word must occur, in the title, the body or the place; rows written one by one, in
bulk (import) and edited are all found, and a deleted row is not."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from duban.intake.models import Suggestion
from duban.intake.queries import SuggestionFilter, apply_filter
from duban.intake.search import INDEX, text_condition
from tests.intake.test_import import HEADER, good_rows

pytestmark = pytest.mark.django_db


def found(q: str) -> set[str]:
    f, errors = SuggestionFilter.from_params({"q": q})
    assert not errors
    return set(apply_filter(Suggestion.objects.all(), f).values_list("title", flat=True))


@pytest.fixture
def three(make_suggestion):
    make_suggestion(title="路灯坏了", body="一村村口的路灯坏了很久，晚上出行不便。", place="平安镇一村")
    make_suggestion(title="营商环境", body="办理营业执照跑了三趟，希望优化营商环境。")
    make_suggestion(title="环境卫生", body="二村垃圾堆放，环境很差，营商户也有意见。", place="洮河镇二村")


def test_words_are_found_in_title_body_and_place(three):
    assert found("路灯") == {"路灯坏了"}
    assert found("营业执照") == {"营商环境"}
    assert found("洮河镇") == {"环境卫生"}  # only in the place
    assert found("环境") == {"营商环境", "环境卫生"}


def test_every_word_must_occur_and_adjacency_counts(three):
    assert found("环境 垃圾") == {"环境卫生"}
    assert found("环境，执照") == {"营商环境"}
    assert found("路灯 执照") == set()
    # 营商 and 商环 occur in 环境卫生's text, but not as 营商环境: the re-check drops it
    assert found("营商环境") == {"营商环境"}


def test_one_character_and_punctuation_only(three):
    assert found("灯") == {"路灯坏了"}
    assert found("镇") == {"路灯坏了", "环境卫生"}  # in the places
    assert found("灯 差") == set()
    assert found("！！") == set()
    # one character is indexed too (路, 水, 电 are common searches): no scan of every row
    sql = str(Suggestion.objects.filter(text_condition("灯")).query)
    assert "LIKE" not in sql.upper()


def test_an_edited_text_is_found_by_its_new_words_only(three):
    s = Suggestion.objects.get(title="路灯坏了")
    s.body = "桥面裂缝需要修补。"
    s.save(update_fields=["body"])
    assert found("桥面裂缝") == {"路灯坏了"}
    assert "路灯坏了" not in found("出行不便")
    s.delete()
    assert found("桥面裂缝") == set()


def test_imported_rows_are_found(campaign, tree, xlsx):
    call_command("import_ledger", "suggestions", str(xlsx(HEADER, good_rows())))
    assert found("营业执照") == {"营商环境"}
    assert found("补贴发放") == {"热线"}
    assert len(found("建议")) >= 1


def test_the_query_uses_the_index(three):
    sql = str(Suggestion.objects.filter(text_condition("营业执照")).query)
    assert (INDEX.fts in sql) if connection.vendor == "sqlite" else ("@>" in sql)


def test_the_tracking_code_still_finds_its_item(make_suggestion):
    s = make_suggestion(title="井盖丢失", body="三村井盖丢了。")
    assert found(s.code_display) == {"井盖丢失"}


def test_the_terms_are_filled_for_rows_stored_before_the_index(make_suggestion):
    """Migration 0009's step, run on rows whose terms are empty, fills them again."""
    import importlib

    from django.apps import apps

    s = make_suggestion(title="老旧小区改造", body="楼道灯不亮。")
    Suggestion.objects.filter(pk=s.pk).update(search_terms="")
    assert found("老旧小区") == set()
    fill = importlib.import_module("duban.intake.migrations.0009_suggestion_search_terms_fill")
    fill.forwards(apps, None)
    assert found("老旧小区") == {"老旧小区改造"}


def test_a_common_word_is_counted_up_to_the_cap(make_suggestion, client_for, users, monkeypatch):
    from duban.intake import queries

    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 3)
    for i in range(5):
        make_suggestion(title=f"路灯{i}", body="路灯不亮")
    make_suggestion(title="井盖", body="井盖丢失")
    c = client_for(users["office"])
    page = c.get("/intake/?q=路灯").content.decode()
    assert "匹配超过 3 条" in page and "路灯4" in page  # the rows are all there, newest first; only the count stops
    assert "共 1 条" in c.get("/intake/?q=井盖").content.decode()
    assert "共 6 条" in c.get("/intake/").content.decode()  # no search: the exact count
