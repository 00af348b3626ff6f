"""Metrics, and the data loaders on the public data (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.triage import data as datasets
from rapport.triage import default_engine
from rapport.triage.engine import Triage
from rapport.triage.evaluation import score

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_data = pytest.mark.skipif(
    not (DATA / "tweeteval").exists(), reason="the public data folder is not present"
)


def test_official_metrics_on_fixed_labels() -> None:
    gold = [0, 0, 1, 1, 2, 2]
    pred = [0, 1, 1, 1, 2, 0]

    assert score("sentiment", gold, pred) == pytest.approx(100 * (0.5 + 1 + 0.5) / 3)
    assert score("banking77", gold, pred) == pytest.approx(100 * 4 / 6)
    assert score("irony", [0, 1, 1, 0], [1, 1, 0, 0]) == pytest.approx(50.0)
    assert score("offensive", [0, 1], [0, 1]) == pytest.approx(100.0)


def test_fast_built_results_equal_constructed_ones() -> None:
    result = default_engine().classify("where is my parcel?")

    values = {k: v for k, v in result.as_dict().items() if k != "toxicity"}
    rebuilt = Triage(**{**values, "reasons": tuple(values["reasons"])})

    assert rebuilt.reasons == result.reasons
    assert rebuilt == result
    assert hash(rebuilt) == hash(result)


@needs_data
def test_tweeteval_labels_come_from_mapping() -> None:
    split = datasets.tweeteval(DATA, "emotion", "val")

    assert split.names == ("anger", "joy", "optimism", "sadness")
    assert len(split.texts) == len(split.labels) == 374


@needs_data
def test_complaint_split_is_reproducible_and_disjoint() -> None:
    train = datasets.complaints(DATA, "train")
    val = datasets.complaints(DATA, "val")

    assert datasets.complaints(DATA, "val").texts == val.texts
    assert len(train.texts) + len(val.texts) == 2759
    assert not set(train.texts) & set(val.texts) - {""}


@needs_data
def test_banking_split_keeps_every_intent() -> None:
    _, train_labels = datasets.banking77(DATA, "train")
    _, val_labels = datasets.banking77(DATA, "val")

    assert len(set(train_labels)) == len(set(val_labels)) == 77
