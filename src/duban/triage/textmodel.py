"""Shared text features for triage: fast character n-gram TF-IDF.

Pure Python + numpy/scipy (no Django). The vectorizer hashes n-grams of
Unicode code points with numpy over a whole batch at once, so it is several
times faster than sklearn's pure-Python char analyzer; this is what lets the
router classify thousands of messages per second on two cores.

"Word" features come without running a segmenter at predict time: the
vocabulary of a :class:`NgramTfidf` may be restricted to n-grams that are
words of jieba's bundled dictionary (``dictionary_keys``); jieba's dictionary
file is read only at training time and only from the installed package.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "NgramTfidf",
    "clean_text",
    "dictionary_keys",
    "jieba_cut",
    "jieba_freq",
    "ngram_keys",
    "shared_data_dir",
]

# FNV-1a style polynomial hash over uint64 (wrapping on purpose).
_HASH_MUL = np.uint64(0x100000001B3)
_HASH_SEED = np.uint64(0xCBF29CE484222325)

_URL_RE = re.compile(r"https?://\S+")
# Masked place codes like "A市", "A5区", "G5县": the letter/number is noise for topics.
_MASKED_PLACE_RE = re.compile(r"[A-Z]\d*(?=[市区县])")
_DIGITS_RE = re.compile(r"\d+")
_SPACE_RE = re.compile(r"\s+")


def shared_data_dir() -> Path:
    """Where the shared data lives: $DUBAN_SHARED_DATA or ``<repo>/../shared/data``."""
    env = os.environ.get("DUBAN_SHARED_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "data"


def clean_text(text: str) -> str:
    """Normalise a message for topic features (drop URLs, masked codes, digits, spaces)."""
    text = _URL_RE.sub("", text)
    text = _MASKED_PLACE_RE.sub("", text)
    text = _DIGITS_RE.sub("0", text)
    return _SPACE_RE.sub("", text)


def _codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of all texts concatenated, and the text index of each position."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    docs = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    return codes, docs


def _mix(k: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the polynomial hash over all 64 bits (top bits index tables)."""
    with np.errstate(over="ignore"):
        k = k ^ (k >> np.uint64(30))
        k = k * np.uint64(0xBF58476D1CE4E5B9)
        k = k ^ (k >> np.uint64(27))
        k = k * np.uint64(0x94D049BB133111EB)
        return k ^ (k >> np.uint64(31))


def ngram_keys(texts: Sequence[str], ngram_range: tuple[int, int] = (1, 3)) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hash keys of all character n-grams of ``texts`` and their text index.

    N-grams never span two texts. Keys of different n never meet in practice
    (64-bit hash; the n is mixed into the seed).
    """
    lo, hi = ngram_range
    codes, docs = _codes(texts)
    total = len(codes)
    out_keys: list[np.ndarray] = []
    out_docs: list[np.ndarray] = []
    with np.errstate(over="ignore"):
        h = np.full(total, _HASH_SEED, dtype=np.uint64)
        for n in range(1, hi + 1):
            m = total - n + 1
            if m <= 0:
                break
            # h[i] covers codes[i:i+n]
            h = (h[:m] ^ codes[n - 1 : n - 1 + m]) * _HASH_MUL
            if n < lo:
                continue
            valid = docs[:m] == docs[n - 1 : n - 1 + m]
            out_keys.append(_mix(h[valid] ^ np.uint64(n)))
            out_docs.append(docs[:m][valid])
    if not out_keys:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    return np.concatenate(out_keys), np.concatenate(out_docs)


@lru_cache(maxsize=4)
def dictionary_keys(min_len: int = 2, max_len: int = 4, min_freq: int = 1) -> np.ndarray:
    """Sorted hash keys of the words in jieba's bundled dictionary (no download)."""
    import jieba  # local: only needed when training with word features

    path = Path(jieba.__file__).with_name("dict.txt")
    words: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ")
            if len(parts) < 2:
                continue
            w = parts[0]
            if min_len <= len(w) <= max_len and int(parts[1]) >= min_freq:
                words.append(w)
    # hash each word as one whole n-gram, grouped by length
    full_keys = [np.empty(0, np.uint64)]
    for n in range(min_len, max_len + 1):
        group = [w for w in words if len(w) == n]
        if group:
            full_keys.append(ngram_keys(group, (n, n))[0])
    return np.unique(np.concatenate(full_keys))


_JIEBA_READY = False


def _jieba() -> Any:
    """jieba, initialised once and quietly (its dictionary ships in the package)."""
    global _JIEBA_READY
    import jieba

    if not _JIEBA_READY:
        import logging

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _JIEBA_READY = True
    return jieba


def jieba_cut(text: str) -> list[str]:
    """jieba segmentation without the HMM (faster; unknown names come out as single chars)."""
    return _jieba().lcut(text, HMM=False)


def jieba_freq(word: str) -> int:
    """Frequency of ``word`` in jieba's dictionary (0 when absent)."""
    return int(_jieba().dt.FREQ.get(word, 0) or 0)


class NgramTfidf:
    """Character n-gram TF-IDF (sublinear tf, smooth idf, l2 norm) over hashed keys.

    ``head`` limits each text to its first characters (messages start with
    their title). ``allowed`` restricts the vocabulary to the given sorted
    keys (e.g. :func:`dictionary_keys` for word-like features).
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        *,
        min_df: int = 1,
        head: int | None = None,
        allowed: np.ndarray | None = None,
        weight: float = 1.0,
        sublinear_tf: bool = True,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.head = head
        self.allowed = allowed
        self.weight = weight
        self.sublinear_tf = sublinear_tf
        self.vocab_: np.ndarray | None = None
        self.idf_: np.ndarray | None = None
        self.key_shift_ = 0  # fit_transform drops low key bits (see there)

    def _prep(self, texts: Sequence[str]) -> list[str]:
        if self.head is not None:
            return [t[: self.head] for t in texts]
        return list(texts)

    def fit(self, texts: Sequence[str]) -> NgramTfidf:
        texts = self._prep(texts)
        keys, docs = ngram_keys(texts, self.ngram_range)
        if self.allowed is not None:
            keep = np.isin(keys, self.allowed, assume_unique=False)
            keys, docs = keys[keep], docs[keep]
        # document frequency: count distinct (doc, key) pairs per key; a pair is one
        # 64-bit hash so a single sort finds them
        pair = _mix(keys ^ _mix(docs.astype(np.uint64) + np.uint64(1)))
        _, first = np.unique(pair, return_index=True)
        vocab, df = np.unique(keys[first], return_counts=True)
        keep = df >= self.min_df
        self.vocab_ = vocab[keep]
        self.key_shift_ = 0
        self.__dict__.pop("_lookup", None)
        n = len(texts)
        self.idf_ = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        self.allowed = None  # only needed for fitting; keeps saved models small
        return self

    @property
    def n_features(self) -> int:
        return 0 if self.vocab_ is None else len(self.vocab_)

    def _table(self) -> tuple[np.ndarray, int, int]:
        """Open-addressing hash table key -> column (built lazily, not pickled)."""
        cached = self.__dict__.get("_lookup")
        if cached is not None:
            return cached
        assert self.vocab_ is not None
        nv = len(self.vocab_)
        bits = max(10, int(np.ceil(np.log2(max(nv, 1) * 8))))
        mask = (1 << bits) - 1
        table = np.zeros(1 << bits, dtype=np.int32)  # 0 = empty, else column + 1
        home = (self.vocab_ & np.uint64(mask)).astype(np.int64)  # keys are mixed: low bits are uniform
        todo = np.arange(nv)
        probe = 0
        while len(todo):
            slots = (home[todo] + probe) & mask
            free = table[slots] == 0
            # among free slots, the first claimant of each slot wins this round
            _, first = np.unique(slots[free], return_index=True)
            win = todo[free][first]
            table[slots[free][first]] = win + 1
            placed = np.zeros(nv, dtype=bool)
            placed[win] = True
            todo = todo[~placed[todo]]
            probe += 1
        self._lookup = (table, bits, probe)
        return self._lookup

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_lookup", None)
        return state

    def _columns(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions of keys in the vocabulary, their columns)."""
        assert self.vocab_ is not None
        table, bits, max_probe = self._table()
        mask = (1 << bits) - 1
        home = (keys & np.uint64(mask)).astype(np.int64)
        pos = np.arange(len(keys))
        found_pos: list[np.ndarray] = []
        found_col: list[np.ndarray] = []
        for probe in range(max_probe):
            col = table[(home[pos] + probe) & mask] - 1
            occupied = col >= 0
            pos, col = pos[occupied], col[occupied]  # an empty slot ends the probe: not in vocab
            hit = self.vocab_[col] == keys[pos]
            found_pos.append(pos[hit])
            found_col.append(col[hit])
            pos = pos[~hit]
            if not len(pos):
                break
        return np.concatenate(found_pos), np.concatenate(found_col)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if self.vocab_ is None or self.idf_ is None:
            raise RuntimeError("NgramTfidf is not fitted")
        texts = self._prep(texts)
        n_docs = len(texts)
        nv = len(self.vocab_)
        if nv == 0 or n_docs == 0:
            return sp.csr_matrix((n_docs, nv))
        keys, docs = ngram_keys(texts, self.ngram_range)
        shift = getattr(self, "key_shift_", 0)
        if shift:
            keys = keys >> np.uint64(shift)
        pos, cols = self._columns(keys)
        # doc-major order: docs is a few sorted runs (one per n), which a stable sort
        # merges in linear time; scipy then merges repeated terms within each row
        rows = docs[pos]
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        m = sp.csr_matrix((np.ones(len(order)), cols[order].astype(np.int32), indptr), shape=(n_docs, nv))
        m.sum_duplicates()
        data, indices, indptr = m.data, m.indices, m.indptr
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf_[indices]
        # l2 row norm, then the block weight
        lengths = np.diff(indptr)
        sq = np.sqrt(
            np.bincount(np.repeat(np.arange(n_docs), lengths), weights=data * data, minlength=n_docs)
        )
        sq[sq == 0] = 1.0
        data *= np.repeat(self.weight / sq, lengths)
        return sp.csr_matrix((data, indices, indptr), shape=(n_docs, nv))

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """fit + transform in one pass over the n-grams (same result, about half the work)."""
        if self.allowed is not None:
            return self.fit(texts).transform(texts)
        texts = self._prep(texts)
        n_docs = len(texts)
        keys, docs = ngram_keys(texts, self.ngram_range)
        # One plain sort of (key, doc) packed into 64 bits gives the vocabulary, the
        # document frequencies and the term counts (argsort/lexsort are several times
        # slower on tens of millions of keys). Keys lose their low doc_bits bits for it:
        # with ~1e7 distinct n-grams in >=40 bits, collisions stay negligible.
        doc_bits = max(1, int(n_docs - 1).bit_length())
        if 64 - doc_bits < 40:
            return self.fit(texts).transform(texts)
        shift = np.uint64(doc_bits)
        cell, tf = np.unique(((keys >> shift) << shift) | docs.astype(np.uint64), return_counts=True)
        ckey = cell >> shift
        docs = (cell & np.uint64((1 << doc_bits) - 1)).astype(np.int64)
        new = np.concatenate(([True], ckey[1:] != ckey[:-1]))
        cols = np.cumsum(new) - 1
        starts = np.flatnonzero(new)
        df = np.diff(np.append(starts, len(ckey)))
        keep = df >= self.min_df
        self.key_shift_ = doc_bits
        self.vocab_ = ckey[starts][keep]
        self.idf_ = np.log((1.0 + n_docs) / (1.0 + df[keep])) + 1.0
        self.__dict__.pop("_lookup", None)
        newcol = np.cumsum(keep) - 1
        sel = keep[cols]
        cols = newcol[cols[sel]].astype(np.int32)
        data = tf[sel].astype(np.float64)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf_[cols]
        m = sp.csr_matrix((data, (docs[sel], cols)), shape=(n_docs, len(self.vocab_)))
        sq = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        sq[sq == 0] = 1.0
        return (sp.diags(self.weight / sq) @ m).tocsr()


class FeatureBlocks:
    """Horizontal stack of several :class:`NgramTfidf` blocks over cleaned text."""

    def __init__(self, blocks: Iterable[NgramTfidf], *, clean: bool = True) -> None:
        self.blocks = list(blocks)
        self.clean = clean

    def _prep(self, texts: Sequence[str]) -> list[str]:
        return [clean_text(t) for t in texts] if self.clean else list(texts)

    def fit(self, texts: Sequence[str]) -> FeatureBlocks:
        texts = self._prep(texts)
        for b in self.blocks:
            b.fit(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = self._prep(texts)
        return sp.hstack([b.transform(texts) for b in self.blocks], format="csr")

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = self._prep(texts)
        return sp.hstack([b.fit_transform(texts) for b in self.blocks], format="csr")
