from __future__ import annotations

import random

import numpy as np
import pytest

from duban.triage import router

SYNTH = {
    "交通运输": [
        "公交线路调整后车站太远",
        "地铁站出口拥堵，公交车晚点",
        "出租车拒载，道路交通拥堵",
        "公交车司机开车太猛",
    ],
    "教育文体": [
        "孩子入学学位不够，学校不收",
        "学校乱收补课费，老师在外办班",
        "小学择校和学位问题",
        "幼儿园收费太高",
    ],
    "卫生计生": [
        "医院看病排队太久，医生态度差",
        "乡镇卫生院医生不足",
        "医院乱收费，药价太贵",
        "计生服务站办证难",
    ],
}


def _synthetic() -> tuple[list[str], list[str]]:
    rng = random.Random(0)
    texts, labels = [], []
    for label, base in SYNTH.items():
        for i in range(12):
            t = base[i % len(base)] + "，" + rng.choice(["请尽快解决", "希望领导重视", "多次反映无果"])
            texts.append(t)
            labels.append(label)
    return texts, labels


def _check_rows(rows: list[list[tuple[str, float]]], labels: list[str], k: int) -> None:
    for row in rows:
        assert len(row) == k
        confs = [c for _, c in row]
        assert all(0.0 <= c <= 1.0 for c in confs)
        assert confs == sorted(confs, reverse=True)
        assert {lab for lab, _ in row} <= set(labels)


def test_synthetic_train_predict_save_load(tmp_path) -> None:
    texts, labels = _synthetic()
    model = router.train(texts, labels)
    rows = model.predict_top(
        ["地铁和公交线路太少，交通不便", "医院医生看病态度差", "学校学位紧张入学难"], k=2
    )
    _check_rows(rows, labels, 2)
    assert [r[0][0] for r in rows] == ["交通运输", "卫生计生", "教育文体"]
    assert model.labels == sorted(SYNTH)
    assert model.n_samples == len(texts) and model.version and model.trained_at

    path = tmp_path / "router.pkl"
    router.save(model, path)
    again = router.load(path)
    probe = ["公交车晚点", "学校收费", "医院排队"]
    np.testing.assert_allclose(
        [c for r in again.predict_top(probe, k=3) for _, c in r],
        [c for r in model.predict_top(probe, k=3) for _, c in r],
    )
    assert again.version == model.version


def test_load_rejects_foreign_file(tmp_path) -> None:
    import pickle

    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps({"format_version": -1}))
    with pytest.raises(ValueError):
        router.load(path)


def test_titles_and_cross_validate() -> None:
    texts, labels = _synthetic()
    model = router.train(texts, labels, titles=["投诉"] * len(texts), cross_validate=True, cv=3)
    cv = model.cv_macro_f1
    assert cv is not None and cv["folds"] == 3 and 0.0 <= cv["std"] <= cv["mean"] <= 1.0
    assert model.metrics["macro_f1"] == cv["mean"]


def test_duplicate_groups() -> None:
    g = router.duplicate_groups(["小区 噪音！", "小区噪音", "学校"])
    assert g[0] == g[1] != g[2]


def test_real_subsample(labeled_rows) -> None:
    rng = random.Random(1)
    rows = rng.sample(labeled_rows, 700)
    texts = [r["留言主题"] + r["留言详情"] for r in rows]
    labels = [r["一级标签"] for r in rows]
    model = router.train(texts, labels, calibrate=False)
    obvious = {
        "小区旁边的工厂排放废气，污染环境，河道污水直排": "环境保护",
        "孩子小学入学学位问题，学校拒收": "教育文体",
        "公司拖欠工资不发，社保不给缴纳": "劳动和社会保障",
        "医院乱收费，医生态度恶劣": "卫生计生",
    }
    rows_out = model.predict_top(list(obvious), k=3)
    _check_rows(rows_out, labels, 3)
    assert [r[0][0] for r in rows_out] == list(obvious.values())
