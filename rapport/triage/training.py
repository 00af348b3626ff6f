"""Train every head from the public data and write the artefacts (needs scikit-learn).

``train_heads`` fits one logistic regression per head on a shared hashed
word + character n-gram vocabulary, then folds the stacked heads (below) into
plain linear weights, so inference stays one sparse-times-dense product.

Stacking: the offensive head also sees the decision values of the other
TweetEval heads (sentiment, offensive, hate, emotion, irony), each trained
on its own data set; the complaint head sees the sentiment head's (a customer
who is happy is rarely complaining; chosen by 5-fold CV on the complaint
training part, where it raised macro F1 by about one point). Since those
decision values are linear in the same features, a stacked head is still
linear: ``w = w_own + s * sum_j a_j * w_j``.

NB scaling: the offensive, hate, irony, complaint and (per class, one-vs-rest)
emotion heads scale each n-gram by its naive-Bayes log-count ratio before the
fit (``nb_scale``), also folded into the weights.

Borrowed rows: the complaint head's extra "not complaint" examples from other
data sets (see ``data.complaints_augmented``) weigh 0.5 each in the fit, and its
threshold is cross-validated on the complaint rows alone (the borrowed rows are
in every fold's training part and never scored). At full weight they cost about
0.5 point of CV macro F1; at 0.3 more CV came back but more insults and demo
posts read as complaints, so 0.5 (see models/README.md).

Which heads are stacked or NB-scaled, each C and each scale were chosen by
comparing validation scores during development (see models/README.md); the
decision thresholds of the offensive, irony and complaint heads by 5-fold CV on
training data only. Hate keeps 0.5: its test set is known to be distributed
differently from train and validation, so a threshold fitted to the training
distribution would not carry over.

Seeds are fixed and the solvers are deterministic, so the same data gives the
same artefacts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from rapport.triage import data as datasets
from rapport.triage.model import LinearModel, bucket_document_frequency, select_vocabulary
from rapport.triage.text import WORD_CLASS, Batch, clean, featurise

CHUNK = 4000
HEADS_MAX_FEATURES = 200_000
ENGLISH_WORDS = 5_000


@dataclass(frozen=True)
class HeadSpec:
    """How one head is trained: its data, its regularisation, its stacking."""

    name: str
    kind: str  # "binary", "ovr" (one-vs-rest, normalised) or "softmax"
    C: float
    stack: float = 0.0  # scale of the other heads' decision values; 0 = not stacked
    tune_threshold: str = ""  # metric to pick the decision threshold for by CV ("" = 0.5)
    nb: float = 0.0  # NB-SVM feature scaling interpolation (0 = off); binary and ovr heads
    # Heads whose decision values a stacked head sees (empty: every other TweetEval
    # head, with NB scales computed over all columns, as the offensive head was
    # built; given: only those heads, and NB scales only over the n-gram columns).
    stack_heads: tuple[str, ...] = ()
    # Sample weight of the rows borrowed from other data sets (after ``Split.own``).
    extra_weight: float = 1.0


HEAD_SPECS = (
    HeadSpec("sentiment", "ovr", 1.0),
    HeadSpec("offensive", "binary", 1.0, stack=0.3, tune_threshold="macro_f1", nb=0.5),
    HeadSpec("hate", "binary", 1.0, nb=0.5),
    HeadSpec("irony", "binary", 1.0, tune_threshold="f1_positive", nb=0.5),
    HeadSpec("emotion", "ovr", 10.0, nb=0.5),
    HeadSpec(
        "complaint",
        "binary",
        10.0,
        stack=0.3,
        tune_threshold="macro_f1",
        nb=0.5,
        stack_heads=("sentiment",),
        extra_weight=0.5,
    ),
    HeadSpec("request", "binary", 3.0),
)
BASE_HEADS = ("sentiment", "offensive", "hate", "emotion", "irony")


def batches(texts: Sequence[str], chunk: int = CHUNK) -> list[Batch]:
    """Featurise texts in chunks."""
    return [
        featurise([clean(t) for t in texts[i : i + chunk]]) for i in range(0, len(texts), chunk)
    ]


def build_vocabulary(
    texts: Sequence[str], *, blocks: str, min_df: int, max_features: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (kept buckets, idf, all buckets, their df) over ``texts``."""
    found = [bucket_document_frequency(b, blocks) for b in batches(texts)]
    buckets = np.concatenate([f["buckets"] for f in found])
    counts = np.concatenate([f["df"] for f in found])
    unique, inverse = np.unique(buckets, return_inverse=True)
    df = np.bincount(inverse, weights=counts).astype(np.int64)
    kept, idf = select_vocabulary(unique, df, len(texts), min_df=min_df, max_features=max_features)
    return kept, idf, unique, df


def design(model: LinearModel, texts: Sequence[str]) -> sp.csr_matrix:
    """Return the TF-IDF design matrix of ``texts`` under ``model``'s vocabulary."""
    return sp.csr_matrix(sp.vstack([model.design(b) for b in batches(texts)]))


def nb_scale(features: Any, y: np.ndarray, beta: float, alpha: float = 1.0) -> np.ndarray:
    """Return NB-SVM style feature scales: ``(1 - beta) + beta * |log-count ratio|``.

    The log-count ratio (Wang and Manning, 2012) of a feature compares how often it
    occurs in positive and negative training texts; scaling by it lets the
    regulariser spend less on uninformative n-grams. A scale multiplies a feature,
    so it folds into the weights and inference stays one product.
    """
    present = features.copy()
    present.data = np.ones_like(present.data)
    positive = np.asarray(present[y == 1].sum(axis=0)).ravel() + alpha
    negative = np.asarray(present[y == 0].sum(axis=0)).ravel() + alpha
    ratio = np.log((positive / positive.sum()) / (negative / negative.sum()))
    return (1 - beta) + beta * np.abs(ratio)


def _fit(
    spec: HeadSpec,
    features: Any,
    labels: Sequence[int],
    text_columns: int | None = None,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit one head; return (coef of shape (n_features, n_columns), intercept).

    With ``spec.nb``, the first ``text_columns`` columns (the n-gram features, not
    the stacked decision values) are NB-scaled for the fit and the scales are folded
    back into the returned weights, which apply to the unscaled features.
    ``weights`` are per-row sample weights of the fit (the NB scales count every row
    once).
    """
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels)
    if spec.nb and spec.kind == "ovr":
        binary = HeadSpec(spec.name, "binary", spec.C, nb=spec.nb)
        fits = [
            _fit(binary, features, (y == label).astype(int).tolist(), text_columns, weights)
            for label in range(int(y.max()) + 1)
        ]
        return np.hstack([c for c, _ in fits]), np.concatenate([b for _, b in fits])
    if spec.nb and spec.kind == "binary":
        text = features.shape[1] if text_columns is None else text_columns
        scales = np.ones(features.shape[1])
        scales[:text] = nb_scale(sp.csr_matrix(features[:, :text]), y, spec.nb)
        plain = HeadSpec(spec.name, spec.kind, spec.C)
        coef, intercept = _fit(
            plain, sp.csr_matrix(features @ sp.diags(scales)), y.tolist(), weights=weights
        )
        return coef * scales[:, None], intercept
    if spec.kind == "ovr":
        coefs, intercepts = [], []
        for label in range(int(y.max()) + 1):
            clf = LogisticRegression(
                C=spec.C, class_weight="balanced", solver="liblinear", random_state=0
            )
            clf.fit(features, (y == label).astype(int), sample_weight=weights)
            coefs.append(clf.coef_[0])
            intercepts.append(clf.intercept_[0])
        return np.stack(coefs, axis=1), np.array(intercepts)
    if spec.kind == "binary":
        clf = LogisticRegression(
            C=spec.C, class_weight="balanced", solver="liblinear", random_state=0
        )
    else:
        clf = LogisticRegression(C=spec.C, class_weight="balanced", max_iter=500, random_state=0)
    clf.fit(features, y, sample_weight=weights)
    return clf.coef_.T, clf.intercept_


def _f1(gold: np.ndarray, pred: np.ndarray, label: int) -> float:
    tp = float(np.sum((pred == label) & (gold == label)))
    wrong = float(np.sum(pred != gold))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + wrong)


def out_of_fold(
    spec: HeadSpec,
    features: Any,
    labels: Sequence[int],
    text_columns: int | None = None,
    own: int | None = None,
) -> np.ndarray:
    """Return 5-fold out-of-fold probabilities of the head's first ``own`` rows.

    The rows after ``own`` (examples borrowed from other data sets) are in every
    fold's training part, weighted by ``spec.extra_weight``, and never scored: the
    head is judged on its own task's data only.
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    n_own = len(y) if own is None else own
    extra = np.arange(n_own, len(y))
    oof = np.zeros(n_own)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for fit_own, held_rows in folds.split(np.zeros(n_own), y[:n_own]):
        fit_rows = np.concatenate([fit_own, extra])
        weights = row_weights(spec, len(fit_own), len(fit_rows))
        coef, intercept = _fit(spec, features[fit_rows], y[fit_rows], text_columns, weights)
        decision = np.asarray(features[held_rows] @ coef).ravel() + intercept[0]
        oof[held_rows] = 1 / (1 + np.exp(-decision))
    return oof


def row_weights(spec: HeadSpec, own: int | None, total: int) -> np.ndarray | None:
    """Return the sample weights of a head's rows (``None``: all weigh one)."""
    if own is None or own == total or spec.extra_weight == 1.0:
        return None
    weights = np.ones(total)
    weights[own:] = spec.extra_weight
    return weights


def tune_threshold(
    spec: HeadSpec,
    features: Any,
    labels: Sequence[int],
    text_columns: int | None = None,
    own: int | None = None,
) -> tuple[float, float]:
    """Pick the decision threshold that maximises the head's metric, by 5-fold CV on train.

    Return the threshold and the head's out-of-fold metric (0-100) there. Only the
    training data is used (out-of-fold probabilities of the first ``own`` rows, see
    ``out_of_fold``), never validation.
    """
    y = np.asarray(labels)[: len(labels) if own is None else own]
    oof = out_of_fold(spec, features, labels, text_columns, own)
    best, best_score = 0.5, -1.0
    for threshold in np.arange(0.2, 0.801, 0.01):
        pred = (oof >= threshold).astype(int)
        if spec.tune_threshold == "f1_positive":
            value = _f1(y, pred, 1)
        else:
            value = (_f1(y, pred, 0) + _f1(y, pred, 1)) / 2
        # Prefer the threshold nearest 0.5 among equals (stable, less overfit).
        if value > best_score + 1e-9 or (
            abs(value - best_score) <= 1e-9 and abs(threshold - 0.5) < abs(best - 0.5)
        ):
            best, best_score = float(threshold), value
    return round(best, 2), round(100 * best_score, 1)


def head_data(data: Path) -> dict[str, tuple[datasets.Split, datasets.Split]]:
    """Return (train, validation) for every head."""
    found: dict[str, tuple[datasets.Split, datasets.Split]] = {}
    for task in datasets.TWEETEVAL_TASKS:
        found[task] = (
            datasets.tweeteval(data, task, "train"),
            datasets.tweeteval(data, task, "val"),
        )
    found["complaint"] = (
        datasets.complaints_augmented(data),
        datasets.complaints(data, "val"),
    )
    found["request"] = (datasets.requests(data, "train"), datasets.requests(data, "val"))
    return found


def train_heads(data: Path, out_dir: Path, log: Callable[[str], None] = print) -> LinearModel:
    """Train every head on ``data`` and write ``heads`` and ``language`` into ``out_dir``."""
    started = time.time()
    splits = head_data(data)
    corpus = [t for train, _ in splits.values() for t in train.texts]
    kept, idf, unique, df = build_vocabulary(
        corpus, blocks="word+char", min_df=2, max_features=HEADS_MAX_FEATURES
    )
    log(f"vocabulary: {len(kept)} features from {len(corpus)} texts ({time.time() - started:.0f}s)")
    vocab = LinearModel(
        kept, idf, np.zeros((len(kept), 0), np.float32), np.zeros(0, np.float32), []
    )
    matrices = {name: design(vocab, train.texts) for name, (train, _) in splits.items()}
    specs = {spec.name: spec for spec in HEAD_SPECS}
    fitted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in BASE_HEADS:
        fitted[name] = _fit(specs[name], matrices[name], splits[name][0].labels)
        log(f"head {name}: fitted ({time.time() - started:.0f}s)")
    final: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    thresholds: dict[str, float] = {}
    cv_scores: dict[str, float] = {}
    for spec in HEAD_SPECS:
        if not spec.stack:
            train = splits[spec.name][0]
            if spec.tune_threshold:
                thresholds[spec.name], cv_scores[spec.name] = tune_threshold(
                    spec, matrices[spec.name], train.labels, own=train.own
                )
            final[spec.name] = (
                fitted[spec.name]
                if spec.name in fitted
                else _fit(
                    spec,
                    matrices[spec.name],
                    train.labels,
                    weights=row_weights(spec, train.own, len(train.labels)),
                )
            )
        else:
            others = list(spec.stack_heads) or [h for h in BASE_HEADS if h != spec.name]
            x = matrices[spec.name]
            z = np.hstack([np.asarray(x @ fitted[h][0]) + fitted[h][1] for h in others])
            stacked = sp.csr_matrix(sp.hstack([x, sp.csr_matrix(spec.stack * z)]))
            text_columns = x.shape[1] if spec.stack_heads else None
            train = splits[spec.name][0]
            labels = train.labels
            weights = row_weights(spec, train.own, len(labels))
            coef, intercept = _fit(spec, stacked, labels, text_columns, weights)
            if spec.tune_threshold:
                thresholds[spec.name], cv_scores[spec.name] = tune_threshold(
                    spec, stacked, labels, text_columns, own=train.own
                )
            own, extra = coef[: x.shape[1]], coef[x.shape[1] :]
            offset = 0
            coef_total = own.copy()
            intercept_total = intercept.astype(np.float64).copy()
            for h in others:
                w_h, b_h = fitted[h]
                width = w_h.shape[1]
                a = spec.stack * extra[offset : offset + width]  # (width, n_columns)
                coef_total += w_h @ a
                intercept_total += b_h @ a
                offset += width
            final[spec.name] = (coef_total, intercept_total)
        tuned = ""
        if spec.name in cv_scores:
            tuned = (
                f", threshold {thresholds[spec.name]:.2f}, 5-fold CV "
                f"{spec.tune_threshold} {cv_scores[spec.name]:.1f}"
            )
        log(f"head {spec.name}: done{tuned} ({time.time() - started:.0f}s)")
    outputs: list[str] = []
    heads_meta: dict[str, Any] = {}
    columns = []
    intercepts = []
    for spec in HEAD_SPECS:
        coef, intercept = final[spec.name]
        threshold = thresholds.get(spec.name, 0.5)
        # Fold the tuned threshold into the intercept, so 0.5 stays the decision point
        # for the engine's rules and for ``predict`` alike.
        shift = float(np.log(threshold / (1 - threshold)))
        intercept = np.atleast_1d(intercept).astype(np.float64) - shift
        names = splits[spec.name][0].names
        cols = [spec.name] if spec.kind == "binary" else [f"{spec.name}:{n}" for n in names]
        heads_meta[spec.name] = {
            "kind": spec.kind,
            "labels": list(names),
            "columns": list(range(len(outputs), len(outputs) + len(cols))),
            "C": spec.C,
            "stack": spec.stack,
            "threshold": 0.5,
            "tuned_threshold": threshold,
        }
        if spec.name in cv_scores:
            heads_meta[spec.name]["cv_score"] = cv_scores[spec.name]
        outputs.extend(cols)
        columns.append(coef)
        intercepts.append(np.atleast_1d(intercept))
    model = LinearModel(
        buckets=kept,
        idf=idf,
        coef=np.hstack(columns).astype(np.float32),
        intercept=np.concatenate(intercepts).astype(np.float32),
        outputs=outputs,
        blocks="word+char",
        meta={"heads": heads_meta, "n_training_texts": len(corpus)},
    )
    model.save(out_dir / "heads")
    save_english_words(splits, out_dir)
    log(f"heads written to {out_dir} ({time.time() - started:.0f}s)")
    return model


def save_english_words(
    splits: dict[str, tuple[datasets.Split, datasets.Split]], out_dir: Path
) -> None:
    """Write the buckets of the most frequent English word tokens (for language id)."""
    texts = [t for name, (train, _) in splits.items() if name != "request" for t in train.texts]
    found = [bucket_document_frequency(_unigrams(b), "word") for b in batches(texts)]
    buckets = np.concatenate([f["buckets"] for f in found])
    counts = np.concatenate([f["df"] for f in found])
    unique, inverse = np.unique(buckets, return_inverse=True)
    df = np.bincount(inverse, weights=counts)
    top = np.sort(unique[np.argsort(-df, kind="stable")[:ENGLISH_WORDS]])
    np.savez_compressed(out_dir / "language.npz", english_words=top.astype(np.int32))


def _unigrams(batch: Batch) -> Batch:
    """Return ``batch`` restricted to alphabetic single-token word features."""
    codes = batch.codes
    letter = (
        (batch.classes == WORD_CLASS)
        & (codes != ord("0"))
        & (codes != ord("'"))
        & (codes != ord("_"))
    )
    not_letter = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(~letter, out=not_letter[1:])
    single = (not_letter[batch.word_end] - not_letter[batch.word_start]) == 0
    return Batch(
        n_docs=batch.n_docs,
        word_bucket=batch.word_bucket[single],
        word_doc=batch.word_doc[single],
        char_bucket=batch.char_bucket[:0],
        char_indptr=np.zeros(batch.n_docs + 1, dtype=np.int64),
        codes=batch.codes,
        classes=batch.classes,
        doc_of=batch.doc_of,
        word_start=batch.word_start[single],
        word_end=batch.word_end[single],
        n_words=batch.n_words,
        longest_run=batch.longest_run,
    )


def train_intent_model(
    texts: Sequence[str], intents: Sequence[str], *, name: str, C: float = 10.0
) -> LinearModel:
    """Fit a custom intent classifier (multinomial logistic regression) on labelled texts."""
    from sklearn.linear_model import LogisticRegression

    if len(texts) != len(intents) or not texts:
        raise ValueError("intent training needs as many intents as texts, and at least one")
    labels = sorted(set(intents))
    if len(labels) < 2:
        raise ValueError("intent training needs at least two distinct intents")
    min_df = 2 if len(texts) >= 2000 else 1
    kept, idf, _, _ = build_vocabulary(
        texts, blocks="word+char", min_df=min_df, max_features=100_000
    )
    vocab = LinearModel(
        kept, idf, np.zeros((len(kept), 0), np.float32), np.zeros(0, np.float32), []
    )
    x = design(vocab, texts)
    y = np.array([labels.index(i) for i in intents])
    clf = LogisticRegression(C=C, max_iter=300, random_state=0)
    clf.fit(x, y)
    coef = clf.coef_.T
    intercept = clf.intercept_
    if len(labels) == 2:  # scikit-learn keeps one column for two classes
        coef = np.hstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    # Round as ``LinearModel.save`` stores them, so a fresh model and its saved copy agree.
    return LinearModel(
        buckets=kept,
        idf=idf.astype(np.float16).astype(np.float32),
        coef=coef.astype(np.float16).astype(np.float32),
        intercept=intercept.astype(np.float32),
        outputs=labels,
        blocks="word+char",
        meta={"name": name, "n_examples": len(texts), "C": C},
    )
