from __future__ import annotations

import datetime as dt

from duban.triage.hotissues import extract_places, find_hot_issues, parse_time

NOISE = (
    "A市A3区金桂小区楼下的烧烤店每天晚上营业到凌晨三点，油烟和噪音严重扰民，居民无法休息，"
    "多次向物业和社区反映都没有结果，请有关部门尽快处理。"
)


def _msg(i: int, text: str, user: str, day: int, likes: int = 0, title: str = "") -> dict:
    return {
        "id": i,
        "title": title,
        "text": text,
        "user": user,
        "time": dt.datetime(2019, 5, day),
        "likes": likes,
    }


def _synthetic() -> list[dict]:
    return [
        _msg(1, NOISE, "u1", 1, 3),
        _msg(2, NOISE, "u1", 2),  # exact repeat by the same poster
        _msg(3, NOISE.replace("每天晚上", "每晚").replace("请有关部门尽快处理。", "望解决！"), "u2", 3, 5),
        _msg(
            4,
            "金桂小区楼下烧烤店油烟噪音扰民到凌晨，居民无法休息，反映多次无果",
            "u3",
            4,
            title="A3区金桂小区烧烤店扰民",
        ),
        # the same complaint about another 小区 is another matter
        _msg(5, NOISE.replace("金桂小区", "银湖花园"), "u4", 5),
        _msg(6, "A市A7县星沙镇某学校食堂饭菜质量差，学生吃不饱，家长很担心，请教育局核查。", "u5", 6),
        _msg(7, "A市地铁3号线施工工地夜间施工噪音大，已持续一个月，附近居民深受其害。", "u6", 7),
    ]


def test_merges_repeats_and_near_duplicates_keeps_matters_apart() -> None:
    issues = find_hot_issues(_synthetic())
    by_member = {m: h for h in issues for m in h.ids}
    top = by_member[1]
    assert set(top.ids) == {1, 2, 3, 4}
    assert by_member[5] is not top and by_member[6] is not top and by_member[7] is not top
    assert issues[0] is top  # the biggest, most supported matter ranks first
    assert top.size == 4 and top.users == 3 and top.support == 8
    assert top.first == dt.datetime(2019, 5, 1) and top.last == dt.datetime(2019, 5, 4)
    assert "金桂小区" in top.places
    assert top.score > by_member[6].score
    assert [h.id for h in issues] == list(range(1, len(issues) + 1))
    assert top.label == top.title and top.member_ids == top.ids


def test_places_and_times() -> None:
    places = extract_places("位于A市A5区魅力之城小区临街门面，劳动东路旁边，地铁2号线附近")
    assert {"A市", "A5区", "魅力之城小区", "劳动东路"} <= set(places)
    assert parse_time("2019/2/28 11:25:05") == dt.datetime(2019, 2, 28, 11, 25, 5)
    assert parse_time("2019-02-28") == dt.datetime(2019, 2, 28)
    assert parse_time("") is None
    assert find_hot_issues([]) == []


def test_real_slice_groups_known_hot_issue(hot_rows) -> None:
    # the 伊景园滨河苑 car-park bundling complaint is posted dozens of times in this data
    target = [r for r in hot_rows if "伊景园" in r["留言主题"]]
    others = [r for r in hot_rows if "伊景园" not in r["留言主题"] + r["留言详情"]][:600]
    rows = target + others
    msgs = [
        {
            "id": r["留言编号"],
            "title": r["留言主题"],
            "text": r["留言详情"],
            "time": r["留言时间"],
            "user": r["留言用户"],
            "likes": r["点赞数"],
        }
        for r in rows
    ]
    issues = find_hot_issues(msgs)
    top = issues[0]
    ids = {r["留言编号"] for r in target}
    assert len(target) >= 20
    assert len(ids & set(top.ids)) >= 0.8 * len(ids)
    assert len(set(top.ids) - ids) <= 3  # few unrelated messages pulled in
    assert "伊景园" in top.title
