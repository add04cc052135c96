"""Chinese official number forms and the date forms offices type."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.dates import DateParseError, parse_date
from duban.core.numbers import cn_count, cn_money_wan, cn_percent, ratio


@pytest.mark.parametrize(
    "n,text",
    [(36, "36"), (611, "611"), (9999, "9999"), (10000, "1万"), (53412, "5.3万余"), (270123, "27万余"), (249000, "24.9万"), (250000, "25万"), (2706000, "270.6万"), (300000000, "3亿"), (123456789, "1.2亿余")],
)
def test_cn_count(n, text):
    assert cn_count(n) == text


def test_cn_count_with_unit_and_none():
    assert cn_count(270123, "条") == "27万余条"
    assert cn_count(None) == "—"


@pytest.mark.parametrize("wan,text", [(2210000, "221亿元"), (5000, "5000万元"), (259600, "25.96亿元"), (8792, "8792万元"), (0, "0万元")])
def test_cn_money(wan, text):
    assert cn_money_wan(wan) == text


def test_percent_and_ratio():
    assert cn_percent(0.924) == "92.4%"
    assert cn_percent(0.9) == "90%"
    assert cn_percent(ratio(250000, 270000)) == "92.6%"
    assert ratio(1, 0) == 0.0


@pytest.mark.parametrize(
    "text",
    ["2022-03-31", "2022/3/31", "2022年3月31日", "2022.3.31", "2022年3月31号", "20220331", " 2022-3-31 ", "2022-03-31 00:00:00", 44651, dt.datetime(2022, 3, 31, 8), dt.date(2022, 3, 31)],
)
def test_dates_offices_type(text):
    assert parse_date(text) == dt.date(2022, 3, 31)


def test_month_only_means_month_end_and_empty_is_none():
    assert parse_date("2022年2月底") == dt.date(2022, 2, 28)
    assert parse_date("2022年12月") == dt.date(2022, 12, 31)
    assert parse_date("") is None and parse_date(None) is None


@pytest.mark.parametrize("bad", ["下个月吧", "2022-02-30", "31/3/2022", "尽快", 3.5])
def test_unparseable_dates_raise(bad):
    with pytest.raises(DateParseError):
        parse_date(bad)


def test_today_is_shanghai(settings, monkeypatch):
    from django.utils import timezone

    from duban.core.dates import today

    assert settings.TIME_ZONE == "Asia/Shanghai"
    # 17:00 UTC on 31 March is already 1 April in Shanghai (the server's own zone does not matter).
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2022, 3, 31, 17, 0, tzinfo=dt.UTC))
    assert today() == dt.date(2022, 4, 1)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2022, 3, 31, 15, 59, tzinfo=dt.UTC))
    assert today() == dt.date(2022, 3, 31)


def test_english_ui_numbers():
    from django.utils import translation

    from duban.core.numbers import en_money_wan
    from duban.core.templatetags.duban_fmt import cn_count as count_filter
    from duban.core.templatetags.duban_fmt import cn_money as money_filter

    assert en_money_wan(2210000) == "¥22.1 billion" and en_money_wan(5000) == "¥50 million" and en_money_wan(1) == "¥10,000"
    with translation.override("en"):
        assert count_filter(270123, "条") == "270,123" and money_filter(2210000) == "¥22.1 billion"
    with translation.override("zh-hans"):
        assert count_filter(270123, "条") == "27万余条" and money_filter(2210000) == "221亿元"
