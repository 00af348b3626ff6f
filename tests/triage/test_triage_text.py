"""Cleaning and featurisation invariants."""

from __future__ import annotations

import numpy as np

from rapport.triage.text import MAX_CHARS, NO_BUCKET, clean, featurise


def test_clean_replaces_lone_surrogates_and_bounds_length() -> None:
    assert clean("a\ud800b") == "a?b"
    assert len(clean("x" * 100_000)) == MAX_CHARS
    assert clean(None) == ""
    assert clean(12) == "12"


def test_features_are_document_major() -> None:
    batch = featurise([clean(t) for t in ["hello world", "", "another one here", "😀"]])

    assert batch.n_docs == 4
    assert np.all(np.diff(batch.word_doc) >= 0)
    assert np.all(np.diff(batch.char_doc) >= 0)
    assert set(batch.word_doc.tolist()) == {0, 2, 3}
    assert batch.n_words.tolist() == [2, 0, 3, 0]


def test_featurisation_does_not_depend_on_the_batch() -> None:
    alone = featurise(["Where is my PARCEL???"])
    together = featurise(["first", "Where is my PARCEL???", "last"])

    assert sorted(alone.word_bucket.tolist()) == sorted(
        together.word_bucket[together.word_doc == 1].tolist()
    )
    alone_chars = alone.char_bucket[alone.char_bucket != NO_BUCKET]
    together_chars = together.char_bucket[(together.char_doc == 1)]
    together_chars = together_chars[together_chars != NO_BUCKET]
    assert sorted(alone_chars.tolist()) == sorted(together_chars.tolist())


def test_normalisation_maps_mentions_urls_and_elongations() -> None:
    a = featurise(["@someone loooooove it https://t.co/xyz"])
    b = featurise(["@other looooove it http://example.com"])

    assert sorted(a.word_bucket.tolist()) == sorted(b.word_bucket.tolist())
