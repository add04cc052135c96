from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

from duban.triage.hotissues import MIN_HOT_SIZE, describe, extract_places, find_hot_issues, parse_time

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


LABELLED = Path(__file__).resolve().parents[2] / "bench" / "data" / "hot_labelled.csv"


def _labelled() -> list[dict]:
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_titles_name_place_and_complaint_from_real_messages() -> None:
    rows = [r for r in _labelled() if r["label"] == "丽发新城搅拌站扰民"][:15]
    titles = [r["title"] for r in rows]
    places = [extract_places(f"{r['title']}。{r['text'][:150]}") for r in rows]
    title, keywords = describe(titles, places, 0)
    assert title.startswith("丽发新城") and "搅拌" in title, title
    assert "搅拌站" in keywords
    # keywords say what it is about: no masked codes, place fragments or letter-writing words
    assert not {"A市", "A2区", "丽发", "新城", "投诉", "小区", "附近"} & set(keywords), keywords

    rows = [r for r in _labelled() if r["label"] == "伊景园滨河苑捆绑车位"][:20]
    title, keywords = describe([r["title"] for r in rows], [extract_places(r["title"] + "。" + r["text"][:150]) for r in rows], 0)
    assert "伊景园" in title and "车位" in title, title
    assert {"捆绑", "车位"} <= set(keywords)


def test_places_reject_phrases_and_keep_school_numbers() -> None:
    assert extract_places("为了回家乡建设，每次去学校都要排队") == []
    assert extract_places("A6区二中强制学生暑假补课") == ["A6区", "二中"]
    assert "泉星公园" in extract_places("A市经开区泉星公园项目规划")


def test_singles_and_order() -> None:
    issues = find_hot_issues(_synthetic())
    sizes = [h.size for h in issues]
    assert sizes == sorted(sizes, reverse=True)
    hot = [h for h in issues if h.size >= MIN_HOT_SIZE]
    assert len(hot) == 1 and hot[0].size == 4  # the rest are single messages, not hot issues
    # same size: the more recent first
    a = [_msg(i, NOISE, f"u{i}", 1 + i) for i in range(2)]
    b = [_msg(10 + i, NOISE.replace("金桂小区", "银湖花园"), f"v{i}", 20 + i) for i in range(2)]
    issues = find_hot_issues(a + b)
    assert [h.size for h in issues] == [2, 2] and set(issues[0].ids) == {10, 11}


def test_does_not_lump_labelled_matters() -> None:
    # a slice of the hand-labelled sample: same complaints at different schools and estates
    keep = {"A6区二中补课收费": 4, "A7县一中补课收费": 4, "A7县三中补课收费": 3, "魅力之城底层商铺油烟噪音": 8,
            "丽发新城搅拌站扰民": 8, "圣力华苑出售地下车位": 3, "深业睿城f区人防车位": 3}
    rows, seen = [], Counter()
    for r in _labelled():
        if seen[r["label"]] < keep.get(r["label"], 0):
            seen[r["label"]] += 1
            rows.append(r)
    msgs = [{"id": r["id"], "title": r["title"], "text": r["text"], "time": r["time"], "user": r["user"]} for r in rows]
    label = {r["id"]: r["label"] for r in rows}
    for h in find_hot_issues(msgs):
        assert len({label[i] for i in h.ids}) == 1, [(label[i], i) for i in h.ids]
