"""Load the public training data sets from a data folder (``../shared/data``).

Nothing here is shipped with the package: the data stays outside the project and
only the trained artefacts are committed. Every split that the data does not
publish is made here with a fixed seed, so training is reproducible.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

TWEETEVAL_TASKS = ("sentiment", "offensive", "hate", "irony", "emotion")
SEED = 42


@dataclass(frozen=True)
class Split:
    """Texts with integer labels, and the label names (index = label).

    ``own`` is how many leading rows are the task's own labelled data; the rows after
    them are extra examples borrowed from other data sets (``None``: all are its own).
    """

    texts: list[str]
    labels: list[int]
    names: tuple[str, ...]
    own: int | None = None


def read_mapping(path: Path) -> tuple[str, ...]:
    """Return the label names of a TweetEval ``mapping.txt`` (``id<TAB>name``)."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            index, name = line.split("\t")
            pairs.append((int(index), name.strip()))
    return tuple(name for _, name in sorted(pairs))


def tweeteval(data: Path, task: str, part: str) -> Split:
    """Return TweetEval ``task``'s ``part`` (``train``, ``val`` or ``test``)."""
    folder = data / "tweeteval" / task
    if part == "test":
        folder = data / "heldout" / "tweeteval" / task
        if not folder.exists():
            folder = data.parent / "heldout" / "tweeteval" / task
    names = read_mapping(data / "tweeteval" / task / "mapping.txt")
    with open(folder / f"{part}_text.txt", encoding="utf-8", newline="\n") as handle:
        texts = [line.rstrip("\n").strip() for line in handle]
    with open(folder / f"{part}_labels.txt", encoding="utf-8") as handle:
        labels = [int(line) for line in handle if line.strip()]
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts but {len(labels)} labels")
    return Split(texts, labels, names)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _stratified_split(
    keys: list[str], test_size: float, seed: int = SEED
) -> tuple[list[int], list[int]]:
    """Return (train, held-out) row indices, stratified on ``keys``, reproducibly."""
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    rng = random.Random(seed)
    train: list[int] = []
    held: list[int] = []
    for key in sorted(groups):
        rows = groups[key][:]
        rng.shuffle(rows)
        cut = round(len(rows) * test_size)
        held.extend(rows[:cut])
        train.extend(rows[cut:])
    return sorted(train), sorted(held)


COMPLAINT_NAMES = ("not_complaint", "complaint")


def complaints(data: Path, part: str) -> Split:
    """Return the complaints data: ``train``/``val`` split 80/20 here, or ``test``.

    The folder publishes one training file; validation is a stratified 20% of it
    on (domain, label) with seed 42, and the model is trained on the other 80%.
    """
    if part == "test":
        path = data / "heldout" / "complaints" / "test.csv"
        if not path.exists():
            path = data.parent / "heldout" / "complaints" / "test.csv"
        rows = _read_csv(path)
    else:
        rows = _read_csv(data / "complaints" / "train.csv")
        train, held = _stratified_split([f"{r['domain']}|{r['label']}" for r in rows], 0.2)
        rows = [rows[i] for i in (train if part == "train" else held)]
    return Split([r["text"] for r in rows], [int(r["label"]) for r in rows], COMPLAINT_NAMES)


def complaints_augmented(data: Path) -> Split:
    """Return the complaint training part plus labelled negatives from two other sets.

    The complaint tweets' negatives are mostly random tweets, so a head trained on
    them alone calls any customer-service question, and any insult, a complaint.
    Added as "not complaint": 1,000 Bitext customer requests (not its complaint or
    review intents; half with a leading ``@user``), 500 offensive plus 500
    hateful TweetEval training tweets (insults and hate about others, not
    complaints to a brand), and 1,000 positive TweetEval sentiment training
    tweets that mention someone (praise addressed to a person or brand is not a
    complaint; without them the head read "@brand arrived a day early, smells
    incredible" as one). Validation stays the untouched 20% of the complaints.
    The extra rows come after the complaint rows (``own`` counts the latter), so
    training can weight them and cross-validate on the complaint rows alone.
    """
    rng = random.Random(SEED)
    base = complaints(data, "train")
    b_texts, b_intents = bitext(data, "train")
    pairs = zip(b_texts, b_intents, strict=True)
    requests_ = [t for t, i in pairs if i not in _NOT_REQUEST_INTENTS]
    rng.shuffle(requests_)
    extra = ["@user " + t if rng.random() < 0.5 else t for t in requests_[:1000]]
    for task in ("offensive", "hate"):
        split = tweeteval(data, task, "train")
        toxic = [t for t, y in zip(split.texts, split.labels, strict=True) if y == 1]
        rng.shuffle(toxic)
        extra += toxic[:500]
    sentiment = tweeteval(data, "sentiment", "train")
    happy = [
        t
        for t, y in zip(sentiment.texts, sentiment.labels, strict=True)
        if y == sentiment.names.index("positive") and "@user" in t
    ]
    rng.shuffle(happy)
    extra += happy[:1000]
    return Split(
        base.texts + extra, base.labels + [0] * len(extra), base.names, own=len(base.texts)
    )


def banking77(data: Path, part: str) -> tuple[list[str], list[str]]:
    """Return BANKING77 (texts, categories): ``train``/``val`` of train.csv, ``all``, ``test``.

    The official test file is held out of the data folder, so validation is a
    stratified 20% of ``train.csv`` per category with seed 42.
    """
    if part == "test":
        path = data / "heldout" / "banking77" / "test.csv"
        if not path.exists():
            path = data.parent / "heldout" / "banking77" / "test.csv"
        rows = _read_csv(path)
    else:
        rows = _read_csv(data / "banking77" / "train.csv")
        if part != "all":
            train, held = _stratified_split([r["category"] for r in rows], 0.2)
            rows = [rows[i] for i in (train if part == "train" else held)]
    return [r["text"] for r in rows], [r["category"] for r in rows]


def bitext(data: Path, part: str) -> tuple[list[str], list[str]]:
    """Return the Bitext customer-service utterances and intents (``train``/``validation``)."""
    rows = _read_csv(data / "bitext_cs_intent" / f"{part}.csv")
    return [r["utterance"] for r in rows], [r["intent"] for r in rows]


REQUEST_NAMES = ("statement", "request")
# Bitext intents that are feedback, not a request for information or action.
_NOT_REQUEST_INTENTS = {"complaint", "review"}


def requests(data: Path, part: str) -> Split:
    """Return the question/request data set, built from three public sources.

    Positives: customer requests (Bitext utterances except its complaint and
    review intents, and BANKING77 queries). Negatives: TweetEval sentiment tweets
    that hold no question mark (tweets with one may well be questions, so they
    are left out rather than mislabelled). Half the positives lose their "?" and
    half get a leading ``@user`` (as a public reply to a brand would), so that
    neither the question mark nor the clean style of the request corpora is the
    whole signal. ``part`` is ``train`` or ``val`` (Bitext's own validation file,
    the banking held-out 20%, and the TweetEval validation tweets).
    """
    rng = random.Random(SEED)
    if part == "train":
        b_texts, b_intents = bitext(data, "train")
        k_texts, _ = banking77(data, "train")
        tweets = tweeteval(data, "sentiment", "train").texts
    else:
        b_texts, b_intents = bitext(data, "validation")
        k_texts, _ = banking77(data, "val")
        tweets = tweeteval(data, "sentiment", "val").texts
    positives = [
        t for t, i in zip(b_texts, b_intents, strict=True) if i not in _NOT_REQUEST_INTENTS
    ]
    positives += k_texts
    augmented = []
    for text in positives:
        if rng.random() < 0.5:
            text = text.replace("?", "")
        if rng.random() < 0.5:
            text = "@user " + text
        augmented.append(text)
    negatives = [t for t in tweets if "?" not in t]
    rng.shuffle(negatives)
    negatives = negatives[: 2 * len(augmented)]
    texts = augmented + negatives
    labels = [1] * len(augmented) + [0] * len(negatives)
    return Split(texts, labels, REQUEST_NAMES)
