"""Hot issues: group messages about the same matter and rank the groups by heat.

Pure Python + numpy/scipy (no Django). Each message becomes a TF-IDF vector of
character 2–3-grams (title and text in separate blocks, the title weighted
more: two posts about one matter mostly share their title's words). Very
common n-grams are dropped (they cost most of the similarity product and tell
little about the matter). Pairs are found by a blocked sparse product
``A[block] @ A.T`` and kept when

* cosine >= ``near_dup`` (a repeat / near-duplicate), or
* cosine >= ``threshold`` and the two do not name different places (the same
  complaint about two different 小区 is two matters).

Connected components of that graph are the issues. The heat score rewards
distinct posters first, then repeats, support (likes), and concentration in
time (many posts within a few weeks).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from duban.triage.textmodel import NgramTfidf

# A hot issue is a matter several messages raise; one message alone is a single message.
MIN_HOT_SIZE = 2

__all__ = ["MIN_HOT_SIZE", "HotIssue", "extract_places", "find_hot_issues", "parse_time", "similarity_pairs"]

# Named places: a 2–8 character name (no function words) before a place suffix, or a masked
# admin code (A市, A5区, G5县). Function characters stop the name so "位于X小区" gives "X小区".
_NAME = r"[^\W\d_的了在是于和与及或我你他她它们这那对给向从把被到为请有无不也都就还而且及该此其个]"
_PLACE_SUFFIX = (
    r"小区|花园|家园|新城|新村|公馆|广场|大厦|公寓|华庭|华府|山庄|雅苑|名苑|苑|园区|工业园|"
    r"社区|街道|村|镇|乡|大道|路|街|巷|学校|小学|中学|幼儿园|大学|学院|医院|公园|高速|高铁|"
    r"地铁\d*号线|\d+号线|站|桥|湖|湾|城"
)
# schools are often named by number: 二中, 第一中学, A7县一中
_SCHOOL_NO = r"第?[一二三四五六七八九十]{1,3}中(?:学)?"
_PLACE_RE = re.compile(rf"[A-Z]\d*[市区县州]|{_SCHOOL_NO}|{_NAME}{{2,8}}?(?:{_PLACE_SUFFIX})")
# Bare suffixes / generic words are not places.
_GENERIC_PLACES = {
    "我们小区",
    "本小区",
    "该小区",
    "这个小区",
    "小区",
    "学校",
    "医院",
    "公园",
    "农村",
    "城市",
    "城区",
    "市区",
    "县城",
    "全市",
    "全省",
    "新城",
    "农村村",
    "各村",
    "本村",
    "我村",
    # kinds of places, not places: they link the same complaint in two villages
    "老旧小区",
    "整条路",
    "公办幼儿园",
    "配套幼儿园",
    "普惠幼儿园",
    "乡中心学校",
    "中心小学",
    "实验小学",
    "卫生服务站",
    "服务站",
    "过街天桥",
}
_ADMIN_RE = re.compile(r"[A-Z]\d*[市区县州]")


@dataclass
class HotIssue:
    """One hot issue (a cluster of messages). ``ids`` are the member ids, heat order."""

    id: int
    title: str
    size: int
    ids: list[Any]
    users: int
    first: dt.datetime | None
    last: dt.datetime | None
    places: list[str]
    support: int
    score: float
    keywords: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.title

    @property
    def member_ids(self) -> list[Any]:
        return self.ids

    @property
    def n_users(self) -> int:
        return self.users


def parse_time(value: Any) -> dt.datetime | None:
    """datetime from a datetime/date or a string like '2019/2/28 11:25:05' or ISO; else None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    s = str(value).strip().replace("/", "-").replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(s[:19], fmt)
        except ValueError:
            continue
    try:
        d = dt.datetime.fromisoformat(str(value))
        return d.replace(tzinfo=None) if d.tzinfo else d
    except ValueError:
        return None


_FUNCTION_CHARS = set(
    "的了在是于和与及或我你他她它们这那对给向从把被到为请有无不也都就还而且该此其个系靠近由将已经位处说住"
)
_ONE_CHAR_SUFFIX_RE = re.compile(r"[村镇乡路街城园苑湖湾桥站]$")
_VILLAGE_RE = re.compile(r"(?:村|镇|乡|社区|街道|小区|新村|花园|家园)$")
_LEAD_WORDS_RE = re.compile(r"^.*(?:投诉|反映|反应|举报|咨询|关于|建议|请问|请求|希望|再次|诉求)")
_VERB_CHARS = set("去回要想问每准据让能会跟给叫说找拿搞做看听占")
_SCHOOL_NO_RE = re.compile(_SCHOOL_NO)
_SUFFIX_RE = re.compile(rf"(?:{_PLACE_SUFFIX})$")
_SUFFIX_AT_RE = re.compile(rf"(?:{_PLACE_SUFFIX})")


@lru_cache(maxsize=65536)
def _trim_place(match: str) -> str:
    """Cut the words before the place name off a regex match ("问题本人系春华镇" -> "春华镇"):
    walk back over jieba tokens and stop at a function character or a common word."""
    if _ADMIN_RE.fullmatch(match) or _SCHOOL_NO_RE.fullmatch(match):
        return match
    from duban.triage.textmodel import jieba_cut, jieba_freq

    tokens = jieba_cut(match)
    out = tokens[-1]
    for tok in reversed(tokens[:-1]):
        if len(tok) == 1 and tok in _FUNCTION_CHARS:
            break
        suffix = _SUFFIX_RE.search(out)
        name_len = len(out) - (len(suffix.group(0)) if suffix else 0)
        # a common word ends the name, unless the name is still too short ("劳动" + "东路")
        if len(tok) > 1 and jieba_freq(tok) > 3000 and not _SUFFIX_RE.search(tok) and name_len >= 2:
            break
        out = tok + out
    out = _LEAD_WORDS_RE.sub("", out)  # "本人投诉丽发新城小区" -> "丽发新城小区"
    suffix = _SUFFIX_RE.search(out)
    if suffix is None:
        return ""
    sfx = suffix.group(0)
    if len(out) - len(sfx) < 2 and (one := _ONE_CHAR_SUFFIX_RE.search(out)):
        sfx = one.group(0)  # "银新村" is 银新 + 村, not 银 + 新村
    name = out[: len(out) - len(sfx)]
    # "经开区泉星公园" -> "泉星公园": an admin word before the name is not part of it
    cut = max(name.rfind(c) for c in "区县市省")
    if cut >= 0:
        name, out = name[cut + 1 :], out[cut + 1 :]
    # a verb in the name means the match is a phrase ("每次去学校", "要回家乡"), not a place
    if len(name) < 2 or out in _GENERIC_PLACES or any(c in _VERB_CHARS for c in name) or re.search(r"[a-zA-Z]", name):
        return ""
    # a common word before the suffix names a kind of place, not a place ("中心城", "眼科医院")
    if jieba_freq(name) > 500 and not _VILLAGE_RE.search(out):  # 北大村, 东风村 are villages
        return ""
    return out


def extract_places(text: str) -> list[str]:
    """Place names in order of first mention, e.g. ['A市', 'A5区', '魅力之城小区', '劳动东路']."""
    seen: dict[str, None] = {}
    text = text.replace("路灯", "灯")  # a street light names no road ("村道路灯")
    pos = 0
    while (m := _PLACE_RE.search(text, pos)) is not None:
        end = m.end()
        # the lazy name stops at the first suffix: extend "魅力之城" + "小区" -> "魅力之城小区"
        while (ext := _SUFFIX_AT_RE.match(text, end)) is not None:
            end = ext.end()
        pos = end
        if text[end - 1 : end + 1] == "路灯":  # "沿河步道路灯" is a street light, not a road
            continue
        p = _trim_place(text[m.start() : end])
        if p and p not in seen:
            seen[p] = None
    return list(seen)


def _specific(places: Sequence[str]) -> set[str]:
    """Named places only (not A市/A5区, which many unrelated messages share)."""
    return {p for p in places if not _ADMIN_RE.fullmatch(p)}


_STEM_SUFFIX_RE = re.compile(rf"(?:{_PLACE_SUFFIX}|[东南西北中]|[一二三四五六七八九十\d]+期)+$")


def _stems(places: Sequence[str]) -> tuple[str, ...]:
    """Named places without their suffix ("丽发新城小区" -> "丽发新城", "劳动东路" -> "劳动")."""
    out = []
    for p in places:
        if _ADMIN_RE.fullmatch(p):
            continue
        if _COARSE_RE.search(p):  # kept whole: _share tells towns from villages by the suffix
            out.append(p)
            continue
        stem = _STEM_SUFFIX_RE.sub("", p) or p
        out.append(stem if len(stem) >= 2 else p)
    return tuple(out)


def _fine(stems: Sequence[str]) -> bool:
    return any(not x.endswith(_COARSE_STEMS) for x in stems)


def _share(a: Sequence[str], b: Sequence[str]) -> bool:
    """Do two messages name a common place? One name inside the other counts ("丽发" in
    "丽发新城"): posters shorten names. When both name a place finer than a town or street
    office (a village, an estate, a road), those must match: two villages of one town are
    two places."""
    fa = [x for x in a if not x.endswith(_COARSE_STEMS)]
    fb = [y for y in b if not y.endswith(_COARSE_STEMS)]
    if fa and fb:
        a, b = fa, fb
    return any(x in y or y in x for x in a for y in b)


def _prune_common(m: sp.csr_matrix, max_df: int) -> sp.csr_matrix:
    df = np.bincount(m.indices, minlength=m.shape[1])
    keep = np.flatnonzero(df <= max_df)
    m = m[:, keep]
    # renormalise rows so cosine stays a cosine
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms) @ m


def message_matrix(
    titles: Sequence[str], texts: Sequence[str], *, title_weight: float = 0.6, max_terms: int = 200
) -> sp.csr_matrix:
    """Row-normalised TF-IDF of title + text char 2–3-grams (common n-grams dropped)."""
    n = len(texts)
    # a matter may be 5% of a batch: never prune below that (or its own n-grams go)
    max_df = max(200, int(0.05 * n))
    blocks = []
    for docs, w in ((titles, title_weight), (texts, 1.0 - title_weight)):
        v = NgramTfidf((2, 3), min_df=2)
        m = _prune_common(v.fit_transform(docs), max_df)
        blocks.append(m * math.sqrt(w))
    a = sp.hstack(blocks, format="csr")
    # Each message is represented by its ``max_terms`` heaviest n-grams: the cosine is
    # then cheap to score on a million candidate pairs, and the light tail matters little.
    a = _top_terms(a, max_terms)
    norms = np.sqrt(np.asarray(a.multiply(a).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (sp.diags(1.0 / norms) @ a).tocsr()


def _strip_places(title: str, places: Sequence[str]) -> str:
    for p in sorted(places, key=len, reverse=True):
        title = title.replace(p, " ")
    return title


def _pair_sims(m: sp.csr_matrix, i: np.ndarray, j: np.ndarray, step: int = 100_000) -> np.ndarray:
    """Row-by-row dot products of the pairs (i[k], j[k]) of a row-normalised matrix."""
    out = np.empty(len(i))
    for c in range(0, len(i), step):
        out[c : c + step] = np.asarray(m[i[c : c + step]].multiply(m[j[c : c + step]]).sum(axis=1)).ravel()
    return out


def title_matrix(titles: Sequence[str]) -> sp.csr_matrix:
    """Row-normalised TF-IDF of the titles' char 2–3-grams, masked admin codes (A市) removed."""
    v = NgramTfidf((2, 3), min_df=2)
    m = v.fit_transform([_ADMIN_RE.sub("", t) for t in titles])
    return _prune_common(m, max(200, int(0.05 * len(titles)))).tocsr()


def _top_terms(a: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep each row's ``k`` heaviest terms (the candidate sketch; not renormalised)."""
    rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    # one float sort: row first, heavier terms first within a row (data is in (0, 1])
    order = np.argsort(rows - np.minimum(a.data, 1.0) * 0.999)
    rank = np.arange(len(order)) - a.indptr[rows[order]]
    keep = order[rank < k]
    keep.sort()
    return sp.csr_matrix((a.data[keep], (rows[keep], a.indices[keep])), shape=a.shape)


def similarity_pairs(
    a: sp.csr_matrix,
    threshold: float,
    *,
    block: int = 2000,
    n_jobs: int = 2,
    sketch_terms: int = 40,
    sketch_min: float = 0.08,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs i < j with cosine >= threshold (rows of ``a`` are l2-normalised).

    Candidates come from the product of per-row sketches (the ``sketch_terms`` heaviest
    n-grams): two messages on one matter share their rare, heavy n-grams, and the sketch
    product costs a fraction of the full one. Candidates are then scored exactly.
    """
    n = a.shape[0]
    b = _top_terms(a, sketch_terms)
    bt = b.T.tocsr()

    def run(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = (b[start : start + block] @ bt).tocoo()
        keep = (s.data >= sketch_min) & (s.col > s.row + start)
        return s.row[keep] + start, s.col[keep], s.data[keep]

    starts = list(range(0, n, block))
    if n_jobs > 1 and len(starts) > 1:
        with ThreadPoolExecutor(n_jobs) as ex:
            parts = list(ex.map(run, starts))
    else:
        parts = [run(s) for s in starts]
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    i = np.concatenate([p[0] for p in parts]).astype(np.int64)
    j = np.concatenate([p[1] for p in parts]).astype(np.int64)
    sims = np.concatenate([p[2] for p in parts])
    # The sketch product is a lower bound of the cosine (non-negative weights, fewer
    # terms): pairs already over the threshold need no exact score; score the rest.
    todo = np.flatnonzero(sims < threshold)
    step = 100_000
    for c in range(0, len(todo), step):
        t = todo[c : c + step]
        sims[t] = np.asarray(a[i[t]].multiply(a[j[t]]).sum(axis=1)).ravel()
    keep = sims >= threshold
    return i[keep], j[keep], sims[keep]


def _title_of(msg: dict) -> tuple[str, str]:
    title = str(msg.get("title") or "").strip()
    text = re.sub(r"\s+", "", str(msg.get("text") or ""))
    if title and not text.startswith(re.sub(r"\s+", "", title)):
        text = re.sub(r"\s+", "", title) + "。" + text
    if not title:
        title = text[:30]
    return title, text


# Words that say nothing about the matter: how people write to the government, not what about.
_STOP_WORDS = frozenset(
    ["关于", "问题", "反映", "反应", "投诉", "举报", "咨询", "建议", "请求", "恳请", "希望", "要求", "请问", "问问", "请", "再次", "多次", "强烈", "尊敬", "领导", "您好", "你好", "书记", "市长", "局长", "我们", "我家", "本人", "什么", "为什么", "为何", "何时", "何日", "时候", "怎么", "怎样", "如何", "是否", "能否", "可否", "能不能", "一下", "没有", "还是", "相关", "有关", "情况", "事宜", "一事", "事情", "疑问", "严重", "非常", "已经", "问一下", "不能", "可以", "不是", "一个", "这个", "那个", "还有", "附近", "周边", "旁边", "小区", "社区", "居民", "业主", "群众", "百姓", "老百姓", "市民", "政府", "部门", "相关部门", "政府网站", "回家乡", "确定线路", "到底", "何年", "何月", "才能", "究竟", "谁来", "谁来管", "谁", "管管", "一直", "依然", "仍然", "至今", "现在", "目前", "今年", "明年", "去年", "月底", "最近", "近日", "近期", "长期", "解决", "处理", "请求解决", "尽快", "加快", "进一步", "不要", "不让", "竟然", "竟", "惊", "拖到", "要拖到"]
)
# places named by what stands there (搅拌站, 变电站): the thing is the complaint, not the place
_SUFFIX_ONLY_RE = re.compile(r"(?:站|厂|场)$")
_COARSE_STEMS = ("街道", "镇", "乡", "新区")
_COARSE_RE = re.compile(r"(?:街道|镇|乡|新区)$")
_ASCII_RE = re.compile(r"^[\W\d_a-zA-Z]+$")


def _content_words(title: str, place_parts: Sequence[str]) -> list[str]:
    """The words of a title that say what the matter is: no places, codes, numbers, stop words."""
    from duban.triage.textmodel import jieba_cut

    out = []
    for w in jieba_cut(_ADMIN_RE.sub(" ", title)):
        w = w.strip()
        if len(w) < 2 or w in _STOP_WORDS or _ASCII_RE.match(w) and not re.search(r"[a-zA-Z]{2,}", w):
            continue
        if any(w in p for p in place_parts):  # a fragment of the place ("丽发", "新城")
            continue
        out.append(w)
    return out


def _main_place(places_per_member: Sequence[Sequence[str]]) -> str:
    """The place most members name (a named place before a masked code like A市); a longer
    spelling of the same place wins when it is as common ("丽发新城小区" over "丽发新城")."""
    named: Counter[str] = Counter()
    admin: Counter[str] = Counter()
    for ps in places_per_member:
        for p in set(ps):
            (admin if _ADMIN_RE.fullmatch(p) else named)[p] += 1
    if named:
        stems = {p: _stems([p])[0] for p in named}
        # a place's support counts every spelling that contains or is contained in it
        support = {p: sum(c for q, c in named.items() if stems[q] in p or stems[p] in q) for p in named}
        top = max(support.values())
        # the finest place most members share: 茶场村 rather than 西湖街道 when both are named
        best = max(named, key=lambda p: (support[p] >= 0.5 * top, not _SUFFIX_ONLY_RE.search(p), not _COARSE_RE.search(p), len(p) if support[p] >= 0.8 * top else 0, support[p], named[p]))
        if support[best] >= max(2, len(places_per_member) // 4) or len(places_per_member) <= 3:
            return best
    if admin:
        return admin.most_common(1)[0][0]
    return ""


def describe(titles: Sequence[str], places_per_member: Sequence[Sequence[str]], rep: int = 0, *, k: int = 5) -> tuple[str, list[str]]:
    """A readable title (place + complaint) and keywords for a group of messages.

    ``titles`` are the members' titles, ``rep`` the index of the most central one. The
    complaint is the words most members use, in the order the central title says them.
    """
    place = _main_place(places_per_member)
    # fragments of the places many members name are not complaint words ("丽发", "新城");
    # a place one member names in passing may hold the complaint itself ("搅拌站")
    pc: Counter[str] = Counter(p for ps in places_per_member for p in set(ps) if not _ADMIN_RE.fullmatch(p))
    many = max(2, math.ceil(0.25 * len(titles)))
    parts = {p for p, c in pc.items() if c >= many and not _SUFFIX_ONLY_RE.search(p)}
    if place and not _ADMIN_RE.fullmatch(place):
        parts |= {place, *_stems([place])}
    parts = sorted(parts, key=len)
    words = [_content_words(t, parts) for t in titles]
    df: Counter[str] = Counter()
    for ws in words:
        df.update(set(ws))
    n = len(titles)
    common = {w for w, c in df.items() if c >= max(2, math.ceil(0.25 * n))} if n > 1 else set(df)
    # the title that says most of what the members share, the central one on a tie
    rep = max(range(n), key=lambda r: (len(common & set(words[r])), r == rep))
    rep_words = list(dict.fromkeys(words[rep]))
    picked = [w for w in rep_words if w in common] or rep_words
    complaint = ""
    for w in picked:
        if len(complaint) + len(w) > 14:
            break
        complaint += w
    if not complaint:
        complaint = re.sub(r"\s+", "", titles[rep])[:20]
    title = f"{place} {complaint}" if place and complaint else place or complaint
    keywords = [w for w, _ in sorted(df.items(), key=lambda x: (-x[1], rep_words.index(x[0]) if x[0] in rep_words else 99))][:k]
    return title, keywords


def heat_score(size: int, users: int, support: int, span_days: float) -> float:
    """Heat: distinct posters count fully, repeats by the same poster a third, likes on a log
    scale (a like is weaker than a post), and a bonus when posts cluster within weeks."""
    posts = users + (size - users) / 3.0
    concentration = 1.0 + 1.0 / (1.0 + span_days / 30.0) if size > 1 else 1.0
    return round((posts + 2.0 * math.log1p(max(support, 0))) * concentration, 3)


def find_hot_issues(
    messages: Sequence[dict],
    *,
    threshold: float = 0.35,
    near_dup: float = 0.7,
    unplaced: float = 0.5,
    title_min: float = 0.5,
    same_place: float = 0.35,
    same_place_title: float = 0.15,
    describe_top: int = 300,
    min_size: int = 1,
    top: int | None = None,
    n_jobs: int = 2,
    max_chars: int = 600,
    **_: Any,
) -> list[HotIssue]:
    """Cluster ``messages`` into issues, hottest first.

    Each message is a dict with ``id``, ``text`` (title + detail, or just the detail when
    ``title`` is given separately), ``time`` (datetime or str), ``user`` and optionally
    ``title``, ``likes``. Issues smaller than ``min_size`` are dropped; ``top`` keeps
    only the hottest N.
    """
    msgs = list(messages)
    n = len(msgs)
    if n == 0:
        return []
    titles, texts = zip(*(_title_of(m) for m in msgs), strict=True)
    places = [extract_places(f"{t}。{x[:150]}") for t, x in zip(titles, texts, strict=True)]
    # the matter is stated early; long tails (up to 7k chars) only add cost and noise
    a = message_matrix(titles, [x[:max_chars] for x in texts])
    i, j, s = similarity_pairs(a, threshold, n_jobs=n_jobs)

    # Same matter needs no conflicting named places unless the texts are near-identical.
    # Without a shared named place, topic words alone link many unrelated posts (公积金,
    # 补课 at a dozen schools): such pairs need a higher similarity, or titles that say the
    # same thing (posts on one matter copy each other's title: "58车贷案件进展").
    stems = [_stems(p) for p in places]
    ok = np.ones(len(i), dtype=bool)
    # one letter sent about two schools is two matters, however alike the texts
    tplaces = [extract_places(t) for t in titles]
    tstems = [_stems(p) for p in tplaces]
    for k in np.flatnonzero(s >= near_dup):
        ti, tj = tstems[i[k]], tstems[j[k]]
        if ti and tj and not _share(ti, tj):
            ok[k] = False
    # What the titles say once the places are taken out: two matters at one place (an
    # estate's cracked floors and its price cut) share the place and the letter-writing
    # words, not the complaint.
    weak = np.flatnonzero(s < near_dup)
    tsim = _pair_sims(title_matrix([_strip_places(t, p) for t, p in zip(titles, tplaces, strict=True)]), i[weak], j[weak])
    for k, ts in zip(weak, tsim, strict=True):
        # the places the titles name when both name one: the body also names objects that
        # look like places ("舞蹈培训学校", "过街天桥") and are shared by unrelated matters
        pi, pj = tstems[i[k]], tstems[j[k]]
        if not (_fine(pi) and _fine(pj)):
            pi, pj = stems[i[k]], stems[j[k]]
        if _share(pi, pj):
            ok[k] = s[k] >= same_place or ts >= same_place_title
        elif pi and pj:
            ok[k] = False
        else:
            ok[k] = s[k] >= unplaced or ts >= title_min
    g = sp.coo_matrix((np.ones(int(ok.sum())), (i[ok], j[ok])), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    strength = np.bincount(i[ok], s[ok], minlength=n) + np.bincount(j[ok], s[ok], minlength=n)

    times = [parse_time(m.get("time")) for m in msgs]
    likes = [int(float(m.get("likes") or 0)) for m in msgs]
    members: dict[int, list[int]] = {}
    for idx, c in enumerate(comp):
        members.setdefault(int(c), []).append(idx)

    issues: list[HotIssue] = []
    for rows in members.values():
        if len(rows) < min_size:
            continue
        users = len({str(msgs[r].get("user") or f"anon-{r}") for r in rows})
        ts = [times[r] for r in rows if times[r] is not None]
        first, last = (min(ts), max(ts)) if ts else (None, None)
        span = (last - first).total_seconds() / 86400 if ts else 365.0
        support = sum(likes[r] for r in rows)
        score = heat_score(len(rows), users, support, span)
        issues.append(
            HotIssue(
                id=0,
                title="",
                size=len(rows),
                ids=[msgs[r].get("id") for r in rows],
                users=users,
                first=first,
                last=last,
                places=[],
                support=support,
                score=score,
            )
        )
        issues[-1]._rows = rows  # type: ignore[attr-defined]
    # biggest first (a reader counts messages), then the most recent, then the hottest
    issues.sort(key=lambda h: (-h.size, -(h.last.timestamp() if h.last else 0.0), -h.score))
    if top is not None:
        issues = issues[:top]

    # Describe only what is returned: a title from the place most members name and the
    # words most members use, in the order the most central member says them.
    for rank, h in enumerate(issues, 1):
        rows = h._rows  # type: ignore[attr-defined]
        del h._rows  # type: ignore[attr-defined]
        h.id = rank
        # the member most similar to the others (sum of its kept edge similarities)
        rep = int(np.argmax(strength[rows])) if len(rows) > 1 else 0
        pc: Counter[str] = Counter()
        for r in rows:
            pc.update(set(places[r]))
        h.places = [p for p, _ in pc.most_common(5)]
        if len(rows) >= min(MIN_HOT_SIZE, n) and rank <= describe_top:
            h.title, h.keywords = describe([titles[r] for r in rows], [places[r] for r in rows], rep)
        else:
            h.title = titles[rows[rep]]
    return issues
