"""Intake router: suggest the first-level category (一级标签) of a citizen message.

Pure Python + numpy/scipy/scikit-learn (no Django). Features come from
:mod:`duban.triage.textmodel`: character 1–3-gram TF-IDF of the cleaned text,
jieba-dictionary words (2–4 characters, found as n-grams so no segmenter runs
at predict time), and the same two for the first 30 characters (where the title
sits) at a lower weight. The classifier is a class-balanced linear SVM; its
margins become confidences by a softmax with a temperature fitted on
out-of-fold margins (minimum log loss).

Cross-validation groups exact and near-exact repeats (same normalised text
prefix) so no message is scored by a model that saw its copy.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.svm import LinearSVC

from duban.triage.textmodel import FeatureBlocks, NgramTfidf, dictionary_keys

__all__ = [
    "FORMAT_VERSION",
    "Router",
    "cv_scores",
    "duplicate_groups",
    "load",
    "make_folds",
    "predict_top",
    "save",
    "train",
]

FORMAT_VERSION = 1
MODEL_NAME = "char13+dictwords+head/linearsvc-balanced"
HEAD_CHARS = 30
_NORM_RE = re.compile(r"[\W_]+")


def _features() -> FeatureBlocks:
    words = dictionary_keys(2, 4)
    return FeatureBlocks(
        [
            NgramTfidf((1, 3), min_df=2),
            NgramTfidf((2, 4), allowed=words),
            NgramTfidf((1, 3), min_df=2, head=HEAD_CHARS, weight=0.7),
            NgramTfidf((2, 4), allowed=words, head=HEAD_CHARS, weight=0.7),
        ]
    )


def _join(texts: Sequence[str], titles: Sequence[str] | None) -> list[str]:
    if titles is None:
        return [t or "" for t in texts]
    if len(titles) != len(texts):
        raise ValueError("titles and texts differ in length")
    # The title goes first: the head blocks then see it (as in the source data,
    # where most titles are already joined to the front of the text).
    return [f"{ti or ''}{' ' if ti else ''}{t or ''}" for ti, t in zip(titles, texts, strict=True)]


def duplicate_groups(texts: Sequence[str], prefix: int = 60, near: float = 0.6) -> np.ndarray:
    """Group id per text: repeats share a group. A repeat has the same normalised first
    ``prefix`` characters, or a char 2–3-gram TF-IDF cosine >= ``near`` (re-posts with a
    changed title or a few edits: 48 such pairs in messages_labeled.csv)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from duban.triage.hotissues import similarity_pairs

    n = len(texts)
    keys = [_NORM_RE.sub("", t).lower()[:prefix] for t in texts]
    same = np.unique(keys, return_inverse=True)[1]
    rows, cols = [np.arange(n)], [same + n]  # text -> its prefix-key node
    if n > 1 and near < 1.0:
        i, j, _ = similarity_pairs(NgramTfidf((2, 3)).fit_transform(list(texts)), near, sketch_min=0.05)
        rows.append(i)
        cols.append(j)
    r, c = np.concatenate(rows), np.concatenate(cols)
    g = coo_matrix((np.ones(len(r)), (r, c)), shape=(2 * n, 2 * n))
    _, comp = connected_components(g, directed=False)
    return np.unique(comp[:n], return_inverse=True)[1]


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _fit_temperature(scores: np.ndarray, y_idx: np.ndarray) -> float:
    """Temperature minimising the log loss of softmax(scores / T) on held-out margins."""

    def nll(log_t: float) -> float:
        p = _softmax(scores, float(np.exp(log_t)))
        return float(-np.mean(np.log(p[np.arange(len(y_idx)), y_idx] + 1e-12)))

    res = minimize_scalar(nll, bounds=(np.log(0.01), np.log(10.0)), method="bounded")
    return float(np.exp(res.x))


class Router:
    """A trained router. Use :func:`train` to make one, :meth:`load` to read one."""

    def __init__(self, features: FeatureBlocks, clf: LinearSVC, temperature: float, **meta: Any) -> None:
        self.features = features
        self.clf = clf
        self.temperature = temperature
        self.format_version = FORMAT_VERSION
        self.version: str = meta.get("version", "")
        self.trained_at: str = meta.get("trained_at", "")
        self.n_samples: int = int(meta.get("n_samples", 0))
        self.labels: list[str] = [str(c) for c in clf.classes_]
        self.cv_macro_f1: dict[str, Any] | None = meta.get("cv_macro_f1")
        self.model_name = MODEL_NAME

    # engine/model_info compatibility
    @property
    def n_train(self) -> int:
        return self.n_samples

    @property
    def metrics(self) -> dict[str, Any]:
        m: dict[str, Any] = {"model": self.model_name, "temperature": round(self.temperature, 4)}
        if self.cv_macro_f1:
            m["cv_macro_f1"] = self.cv_macro_f1
            m["macro_f1"] = self.cv_macro_f1["mean"]
        return m

    def decision_scores(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.clf.decision_function(self.features.transform(list(texts))))

    def predict_proba(self, texts: Sequence[str], *, n_jobs: int = 2) -> np.ndarray:
        """Confidences (rows sum to 1) in the order of :attr:`labels`."""
        texts = list(texts)
        # Two threads on large batches: the numpy/scipy parts release the GIL.
        if n_jobs > 1 and len(texts) >= 2000:
            step = -(-len(texts) // n_jobs)
            chunks = [texts[i : i + step] for i in range(0, len(texts), step)]
            with ThreadPoolExecutor(n_jobs) as ex:
                parts = list(ex.map(self.decision_scores, chunks))
            scores = np.vstack(parts)
        else:
            scores = self.decision_scores(texts) if texts else np.zeros((0, len(self.labels)))
        if scores.ndim == 1:  # two classes: sklearn returns one column
            scores = np.column_stack([-scores, scores])
        return _softmax(scores, self.temperature)

    def predict(self, texts: Sequence[str]) -> list[str]:
        p = self.predict_proba(texts)
        return [self.labels[i] for i in p.argmax(axis=1)]

    def predict_top(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """For each text, the ``k`` best labels with confidence in [0, 1], best first."""
        p = self.predict_proba(texts)
        k = max(1, min(k, len(self.labels)))
        top = np.argsort(-p, axis=1, kind="stable")[:, :k]
        return [[(self.labels[j], float(p[i, j])) for j in row] for i, row in enumerate(top)]

    def save(self, path: str | Path) -> None:
        payload = {"format_version": FORMAT_VERSION, "router": self}
        with Path(path).open("wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path: str | Path) -> Router:
        with Path(path).open("rb") as fh:
            payload = pickle.load(fh)  # noqa: S301 - our own model files only
        if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: not a duban router model of format {FORMAT_VERSION}")
        return payload["router"]


def _fit(texts: Sequence[str], y: np.ndarray, C: float) -> tuple[FeatureBlocks, LinearSVC]:
    feats = _features()
    X = feats.fit_transform(texts)
    clf = LinearSVC(C=C, class_weight="balanced").fit(X, y)
    return feats, clf


def _oof_scores(
    texts: list[str], y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]], C: float, classes: np.ndarray
) -> tuple[np.ndarray, list[float]]:
    scores = np.zeros((len(texts), len(classes)))
    f1s: list[float] = []
    for tr, te in folds:
        feats, clf = _fit([texts[i] for i in tr], y[tr], C)
        d = np.asarray(clf.decision_function(feats.transform([texts[i] for i in te])))
        if d.ndim == 1:
            d = np.column_stack([-d, d])
        # map fold classes onto the global class order (a fold may miss a class)
        cols = np.searchsorted(classes, clf.classes_)
        full = np.full((len(te), len(classes)), -1e3)
        full[:, cols] = d
        scores[te] = full
        f1s.append(float(f1_score(y[te], classes[full.argmax(axis=1)], average="macro")))
    return scores, f1s


def _folds(texts: list[str], y: np.ndarray, n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    groups = duplicate_groups(texts)
    min_class = int(np.unique(y, return_counts=True)[1].min())
    # every class needs a group in each fold: fewest distinct groups of any class
    min_groups = min(len(np.unique(groups[y == c])) for c in np.unique(y))
    if len(np.unique(groups)) < len(groups) and min_groups >= 2:
        cv: Any = StratifiedGroupKFold(n_splits=max(2, min(n, min_groups)), shuffle=True, random_state=seed)
        return list(cv.split(texts, y, groups))
    n = max(2, min(n, min_class))
    return list(StratifiedKFold(n_splits=n, shuffle=True, random_state=seed).split(texts, y))


def train(
    texts: list[str],
    labels: list[str],
    *,
    titles: list[str] | None = None,
    cross_validate: bool | None = None,
    cv: int | None = None,
    calibrate: bool = True,
    C: float = 1.0,
    seed: int = 0,
) -> Router:
    """Train a router on ``texts`` (message details) and their ``labels``.

    ``cross_validate=True`` (or passing ``cv=N``) runs stratified N-fold CV
    (default 5) grouped by duplicate text and stores ``cv_macro_f1`` =
    {mean, std, folds, per_fold}; its out-of-fold margins also fit the
    confidence temperature. Otherwise, with ``calibrate`` the temperature comes
    from a quick 3-fold run; without, it is 1.
    """
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    docs = _join(texts, titles)
    y = np.asarray([str(lab) for lab in labels])
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError("need at least two labels")
    do_cv = bool(cross_validate) if cross_validate is not None else bool(cv and cv >= 2)
    n_folds = cv if cv and cv >= 2 else 5

    cv_result: dict[str, Any] | None = None
    temperature = 1.0
    if do_cv or calibrate:
        folds = _folds(docs, y, n_folds if do_cv else 3, seed)
        scores, f1s = _oof_scores(docs, y, folds, C, classes)
        temperature = _fit_temperature(scores, np.searchsorted(classes, y))
        if do_cv:
            cv_result = {
                "mean": float(np.mean(f1s)),
                "std": float(np.std(f1s)),
                "folds": len(folds),
                "per_fold": [round(f, 4) for f in f1s],
                "grouped_duplicates": True,
            }
    feats, clf = _fit(docs, y, C)
    now = dt.datetime.now(dt.UTC)
    return Router(
        feats,
        clf,
        temperature,
        # The version reads in the offices' time (Beijing), like every time on screen.
        version=f"router-{now.astimezone(ZoneInfo('Asia/Shanghai')):%Y%m%d%H%M%S}",
        trained_at=now.isoformat(timespec="seconds"),
        n_samples=len(docs),
        cv_macro_f1=cv_result,
    )


def make_folds(
    texts: Sequence[str], y: Sequence[str], n: int = 5, *, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds train() cross-validates on: stratified, duplicates grouped together."""
    return _folds(list(texts), np.asarray(y), n, seed)


def cv_scores(
    texts: Sequence[str],
    y: Sequence[str],
    folds: list[tuple[np.ndarray, np.ndarray]],
    *,
    classes: np.ndarray | None = None,
    C: float = 1.0,
) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold decision scores and per-fold macro-F1 of this model on ``folds``."""
    y_arr = np.asarray(y)
    cls = np.unique(y_arr) if classes is None else classes
    return _oof_scores(list(texts), y_arr, folds, C, cls)


# Module-level helpers (the Django side calls these).


def predict_top(model: Router, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
    return model.predict_top(texts, k=k)


def save(model: Router, path: str | Path) -> None:
    model.save(path)


def load(path: str | Path) -> Router:
    return Router.load(path)
