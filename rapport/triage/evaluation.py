"""Score the heads on the benchmarks' validation (and, where present, test) splits.

Each benchmark is scored with its official metric: TweetEval sentiment macro
recall; offensive, hate and emotion macro F1; irony F1 of the irony class;
complaints macro F1; BANKING77 accuracy. Predictions come from
``Engine.predict``, the same code path as ``classify_batch``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rapport.triage import data as datasets
from rapport.triage.engine import Engine

METRICS = {
    "sentiment": "macro recall",
    "offensive": "macro F1",
    "hate": "macro F1",
    "irony": "F1 (irony)",
    "emotion": "macro F1",
    "complaint": "macro F1",
    "banking77": "accuracy",
}


def _f1_per_class(gold: np.ndarray, pred: np.ndarray, label: int) -> float:
    tp = float(np.sum((pred == label) & (gold == label)))
    fp = float(np.sum((pred == label) & (gold != label)))
    fn = float(np.sum((pred != label) & (gold == label)))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def score(task: str, gold: Sequence[int], pred: Sequence[int]) -> float:
    """Return ``task``'s official metric (0-100) for integer labels."""
    g, p = np.asarray(gold), np.asarray(pred)
    labels = np.unique(g)
    if task == "sentiment":
        return 100 * float(np.mean([np.mean(p[g == c] == c) for c in labels]))
    if task == "irony":
        return 100 * _f1_per_class(g, p, 1)
    if task == "banking77":
        return 100 * float(np.mean(g == p))
    return 100 * float(np.mean([_f1_per_class(g, p, int(c)) for c in labels]))


@dataclass(frozen=True)
class Row:
    """One line of the evaluation table."""

    task: str
    split: str
    metric: str
    value: float
    n: int


def _labelled(data: Path, task: str, split: str) -> datasets.Split | None:
    try:
        if task == "complaint":
            return datasets.complaints(data, split)
        return datasets.tweeteval(data, task, split)
    except FileNotFoundError:
        return None


def evaluate(
    engine: Engine,
    data: Path,
    splits: Sequence[str] = ("val", "test"),
    log: Callable[[str], None] = print,
) -> list[Row]:
    """Score every head on ``splits`` (missing splits are skipped)."""
    rows: list[Row] = []
    for task in (*datasets.TWEETEVAL_TASKS, "complaint"):
        for split in splits:
            labelled = _labelled(data, task, split)
            if labelled is None:
                continue
            predicted = engine.predict(task, labelled.texts)
            index = {name: i for i, name in enumerate(labelled.names)}
            pred = [index[label] for label in predicted]
            value = score(task, labelled.labels, pred)
            rows.append(Row(task, split, METRICS[task], value, len(labelled.labels)))
    rows.extend(_evaluate_banking(engine, data, splits, log))
    return rows


def _evaluate_banking(
    engine: Engine, data: Path, splits: Sequence[str], log: Callable[[str], None]
) -> list[Row]:
    """Score BANKING77 intents: trained on 80% of train.csv for ``val``, on all for ``test``."""
    rows: list[Row] = []
    if not (data / "banking77" / "train.csv").exists():
        return rows
    saved = engine.intents
    try:
        for split in splits:
            try:
                texts, gold = datasets.banking77(data, split)
            except FileNotFoundError:
                continue
            started = time.time()
            fit_part = "train" if split == "val" else "all"
            train_texts, train_labels = datasets.banking77(data, fit_part)
            engine.train_intents("banking77", zip(train_texts, train_labels, strict=True))
            log(f"banking77: intent model fitted on {fit_part} ({time.time() - started:.0f}s)")
            predicted = engine.predict("banking77", texts)
            value = 100 * float(np.mean([a == b for a, b in zip(gold, predicted, strict=True)]))
            rows.append(Row("banking77", split, METRICS["banking77"], value, len(gold)))
    finally:
        engine.intents = saved
    return rows


FLOORS = {
    "sentiment": 63.0,
    "offensive": 74.0,
    "hate": 53.0,
    "irony": 64.0,
    "emotion": 67.0,
    "complaint": 85.0,
    "banking77": 91.0,
}


def format_table(rows: Sequence[Row]) -> str:
    """Return the rows as a fixed-width table with the floor of each task."""
    lines = [f"{'task':<10} {'split':<5} {'metric':<13} {'score':>6} {'floor':>6} {'n':>6}"]
    for r in rows:
        lines.append(
            f"{r.task:<10} {r.split:<5} {r.metric:<13} {r.value:6.1f} "
            f"{FLOORS.get(r.task, 0.0):6.1f} {r.n:6d}"
        )
    return "\n".join(lines)
