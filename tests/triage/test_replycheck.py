from __future__ import annotations

import datetime as dt

import pytest

from duban.triage.replycheck import (
    calibrate_off_topic,
    check_replies,
    check_reply,
    relevance,
    working_days_between,
)

# Lateness reads the office's working-day calendar (a database table).
pytestmark = pytest.mark.django_db

MSG = "A3区金桂小区楼下烧烤店每天营业到凌晨，油烟和噪音严重扰民，请城管部门处理。"
GOOD = (
    "网友您好！您反映的A3区金桂小区楼下烧烤店油烟噪音扰民问题已收悉。经城管执法中队现场核查，"
    "该烧烤店确实存在夜间占道经营、油烟直排的情况，已责令其安装油烟净化设备并限时整改，"
    "夜间噪音将由社区持续监督。感谢您对我们工作的支持！"
)
OFF = (
    "网友您好！关于您咨询的新生儿医保参保登记，请携带户口本到社区服务中心办理，"
    "缴费后次月生效，门诊费用按规定比例报销。感谢您的理解与支持！"
)


def codes(flags) -> set[str]:
    return {f.code for f in flags}


def test_good_reply_has_no_flags() -> None:
    t0 = dt.datetime(2019, 5, 6, 9)  # Monday
    assert codes(check_reply(MSG, GOOD, asked_at=t0, replied_at=t0 + dt.timedelta(days=7))) == set()


def test_short_off_topic_late() -> None:
    assert "short" in codes(check_reply(MSG, "已收悉。"))
    assert "off_topic" in codes(check_reply(MSG, OFF))
    assert "off_topic" not in codes(check_reply(MSG, GOOD))
    assert relevance(MSG, GOOD) > relevance(MSG, OFF)
    late = check_reply(MSG, GOOD, asked_at="2019/5/6 9:00:00", replied_at="2019/6/20 9:00:00")
    assert codes(late) == {"late"} and late[0].value > 15
    # 15 working days is three calendar weeks: on time in working days, late in calendar days
    kw = {"asked_at": "2019/5/6 9:00:00", "replied_at": "2019/5/24 9:00:00"}
    assert "late" not in codes(check_reply(MSG, GOOD, **kw))
    assert "late" in codes(check_reply(MSG, GOOD, working_days=False, **kw))
    assert "late" in codes(check_reply(MSG, GOOD, max_days=5, **kw))
    assert "late" in codes(check_reply(MSG, GOOD, due_days=5, **kw))


def test_missing_parts() -> None:
    bare = "经城管执法中队现场核查，金桂小区楼下烧烤店存在夜间占道经营和油烟直排，已责令安装油烟净化设备并限期整改。"
    assert {"no_greeting", "no_closing"} <= codes(check_reply(MSG, bare))
    assert "no_closing" not in codes(check_reply(MSG, bare + "2019年5月10日"))


def test_working_days() -> None:
    fri = dt.datetime(2019, 5, 10, 17)
    assert working_days_between(fri, fri + dt.timedelta(days=3)) == 1  # Fri -> Mon
    assert working_days_between(fri, fri) == 0


def test_batch_and_calibration() -> None:
    rows = [
        {"message": MSG, "reply": GOOD},
        {"title": "烧烤扰民", "text": MSG, "reply": "已阅"},
    ]
    flags, summary = check_replies(rows)
    assert flags[0] == [] and "short" in codes(flags[1])
    assert summary["rows"] == 2 and summary["flagged"] == 1 and summary["short"] == 1
    stats = calibrate_off_topic(
        [MSG, "医保参保登记新生儿怎么办理", "地铁施工噪音夜间扰民"],
        [GOOD, OFF, "地铁夜间施工已要求停止，噪音扰民问题整改"],
    )
    assert stats["auc"] > 0.5


def test_replies_csv_separation(reply_rows) -> None:
    rows = reply_rows[:600]
    stats = calibrate_off_topic([r["留言主题"] + r["留言详情"] for r in rows], [r["答复意见"] for r in rows])
    assert stats["auc"] > 0.85
    assert stats["real_median"] > 5 * stats["shuffled_median"]
