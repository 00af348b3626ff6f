"""Training details that decide the complaint head: borrowed rows and their weight."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from rapport.triage import data as datasets
from rapport.triage.training import HeadSpec, _fit, out_of_fold, row_weights

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SPEC = HeadSpec("toy", "binary", 1.0, extra_weight=0.5)


def _toy() -> tuple[sp.csr_matrix, list[int]]:
    """Forty own rows (feature 0 marks the positives) and twenty borrowed negatives
    that all carry feature 1."""
    rng = np.random.default_rng(0)
    own_labels = [i % 2 for i in range(40)]
    own = np.column_stack([own_labels, np.zeros(40), rng.random(40)])
    borrowed = np.column_stack([np.zeros(20), np.ones(20), rng.random(20)])
    return sp.csr_matrix(np.vstack([own, borrowed])), own_labels + [0] * 20


def test_borrowed_rows_weigh_the_extra_weight() -> None:
    weights = row_weights(SPEC, 3, 5)

    assert weights is not None
    assert weights.tolist() == [1.0, 1.0, 1.0, 0.5, 0.5]


def test_rows_weigh_one_without_borrowed_rows_or_with_full_weight() -> None:
    assert row_weights(SPEC, None, 5) is None
    assert row_weights(SPEC, 5, 5) is None
    assert row_weights(HeadSpec("plain", "binary", 1.0), 3, 5) is None


def test_out_of_fold_scores_only_the_own_rows() -> None:
    features, labels = _toy()

    oof = out_of_fold(SPEC, features, labels, own=40)

    assert oof.shape == (40,)
    assert np.all(oof[1::2] > 0.5)
    assert np.all(oof[0::2] < 0.5)


def test_lighter_borrowed_rows_pull_their_features_less() -> None:
    features, labels = _toy()
    full = HeadSpec("toy", "binary", 1.0)

    light_coef, _ = _fit(SPEC, features, labels, weights=row_weights(SPEC, 40, 60))
    full_coef, _ = _fit(full, features, labels)

    # Feature 1 only occurs in the borrowed negatives: its weight is negative, and
    # less so when those rows count half.
    assert full_coef[1, 0] < light_coef[1, 0] < 0


@pytest.mark.skipif(
    not (DATA / "complaints").exists(), reason="the public data folder is not present"
)
def test_complaint_training_rows_start_with_the_complaint_part() -> None:
    augmented = datasets.complaints_augmented(DATA)
    own = datasets.complaints(DATA, "train")

    assert augmented.own == len(own.texts)
    assert augmented.texts[: augmented.own] == own.texts
    assert set(augmented.labels[augmented.own :]) == {0}
