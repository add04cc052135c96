from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from duban.triage.textmodel import FeatureBlocks, NgramTfidf, clean_text, dictionary_keys, ngram_keys

DOCS = ["小区噪音扰民", "噪音扰民严重严重", "学校", "", "小区学校噪音扰民问题"]


def _sorted_rows(m) -> np.ndarray:
    return np.sort(m.toarray(), axis=1)


def test_matches_sklearn_char_tfidf() -> None:
    # same maths as sklearn (smooth idf, sublinear tf, l2), columns in another order
    for rng, min_df in (((1, 2), 1), ((1, 3), 2)):
        ours = NgramTfidf(rng, min_df=min_df).fit(DOCS)
        ref = TfidfVectorizer(analyzer="char", ngram_range=rng, sublinear_tf=True, min_df=min_df).fit(DOCS)
        new = [*DOCS, "新的噪音文本", "", "没有"]  # ends with texts without known n-grams
        assert ours.n_features == len(ref.vocabulary_)
        np.testing.assert_allclose(_sorted_rows(ours.transform(new)), _sorted_rows(ref.transform(new)))


def test_fit_transform_equals_fit_then_transform() -> None:
    a = NgramTfidf((1, 3), min_df=2).fit_transform(DOCS).toarray()
    b = NgramTfidf((1, 3), min_df=2).fit(DOCS).transform(DOCS).toarray()
    np.testing.assert_allclose(a, b)


def test_ngrams_do_not_span_texts() -> None:
    keys, docs = ngram_keys(["ab", "cd"], (2, 2))
    joined, _ = ngram_keys(["abcd"], (2, 2))
    assert len(keys) == 2 and list(docs) == [0, 1]
    assert len(set(keys) & set(joined)) == 2  # "ab", "cd" but never "bc"


def test_dictionary_word_block_and_clean() -> None:
    words = dictionary_keys(2, 4)
    v = NgramTfidf((2, 4), allowed=words).fit(["噪音扰民严重", "学校教育"])
    assert v.n_features > 0
    assert clean_text("A5区 https://x.cn/a 2019年\n路") == "区0年路"
    m = FeatureBlocks([NgramTfidf((1, 2)), NgramTfidf((1, 1), head=2, weight=0.5)]).fit_transform(DOCS)
    assert m.shape[0] == len(DOCS)
