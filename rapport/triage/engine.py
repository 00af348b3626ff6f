"""The triage engine: text in, ``Triage`` out, for one message or a batch.

A batch is cleaned and featurised once (``text.featurise``); all trained heads
are one sparse-times-dense product (``model.LinearModel``); the optional custom
intent model is a second one; the composite rules (``rules``) and the language
identifier (``language``) are vectorised too. Only the final ``Triage`` objects
and their reasons are built per message.
"""

from __future__ import annotations

import csv
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rapport.triage.labels import EMOTIONS, KINDS, PERSONAS, SENTIMENTS, URGENCIES
from rapport.triage.language import LanguageIdentifier
from rapport.triage.model import LinearModel
from rapport.triage.rules import (
    TOPIC_WORDS,
    Decisions,
    Structure,
    decide,
    platform_flags,
    structure,
)
from rapport.triage.text import Batch, clean, featurise

MODELS_DIR = Path(__file__).resolve().parent / "models"
INTENTS_DIR = MODELS_DIR / "intents"
CHUNK = 2048
MAX_REASONS = 5

FloatArray = npt.NDArray[np.float64]


class ModelsMissingError(RuntimeError):
    """The trained artefacts are not where the engine looks for them."""


@dataclass(frozen=True)
class Triage:
    """What a message is, how it feels, and how urgent it is.

    Probabilities (``offensive``, ``hate``, ``irony``, ``complaint``,
    ``question``) are in [0, 1] and come from models trained with balanced class
    weights, so 0.5 is the decision point. ``sentiment_score`` is
    P(positive) - P(negative) in [-1, 1]. ``intent`` and ``intent_confidence``
    are None when the engine has no custom intent model.
    """

    kind: str
    persona: str
    sentiment: str
    sentiment_score: float
    emotion: str
    emotion_score: float
    offensive: float
    hate: float
    irony: float
    complaint: float
    question: float
    spam: float
    urgency: str
    brand_risk: float
    language: str
    intent: str | None
    intent_confidence: float | None
    reasons: tuple[str, ...]

    @property
    def toxicity(self) -> float:
        """Return the larger of the offensive and hate probabilities."""
        return max(self.offensive, self.hate)

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        data["toxicity"] = self.toxicity
        return data


_new = object.__new__
_set = object.__setattr__


def _make_triage(
    kind: str,
    persona: str,
    sentiment: str,
    sentiment_score: float,
    emotion: str,
    emotion_score: float,
    offensive: float,
    hate: float,
    irony: float,
    complaint: float,
    question: float,
    spam: float,
    urgency: str,
    brand_risk: float,
    language: str,
    intent: str | None,
    intent_confidence: float | None,
    reasons: tuple[str, ...],
) -> Triage:
    """Return ``Triage(...)`` built without one frozen ``__setattr__`` per field.

    Building the result objects is a noticeable share of a batch's time; this sets
    the instance dict in one step. The engine has already validated the values.
    """
    triage = _new(Triage)
    _set(
        triage,
        "__dict__",
        {
            "kind": kind,
            "persona": persona,
            "sentiment": sentiment,
            "sentiment_score": sentiment_score,
            "emotion": emotion,
            "emotion_score": emotion_score,
            "offensive": offensive,
            "hate": hate,
            "irony": irony,
            "complaint": complaint,
            "question": question,
            "spam": spam,
            "urgency": urgency,
            "brand_risk": brand_risk,
            "language": language,
            "intent": intent,
            "intent_confidence": intent_confidence,
            "reasons": reasons,
        },
    )
    return triage


def _sigmoid(x: npt.NDArray[Any]) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-np.clip(x.astype(np.float64), -30, 30)))


def _softmax(x: npt.NDArray[Any]) -> FloatArray:
    z = x.astype(np.float64) - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _per_message(value: Any, n: int) -> list[Any]:
    if value is None or isinstance(value, str | bool):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ValueError(f"expected {n} values, got {len(values)}")
    return values


class Engine:
    """Classify messages with the trained heads, rules and an optional intent model."""

    def __init__(
        self,
        heads: LinearModel,
        language: LanguageIdentifier | None = None,
        intents: LinearModel | None = None,
    ) -> None:
        self.heads = heads
        self.language = language or LanguageIdentifier(np.zeros(0, dtype=np.int64))
        self.intents = intents
        self._head_meta: dict[str, Any] = heads.meta["heads"]
        heads.scores(featurise([""]))  # build lookup tables now, not on the first message
        if intents is not None:
            intents.scores(featurise([""]))

    @classmethod
    def load(cls, models_dir: Path = MODELS_DIR, intents: str | Path | None = None) -> Engine:
        """Load the heads from ``models_dir`` and, if given, an intent model.

        ``intents`` is a name under ``models_dir/intents`` or a path (without suffix).
        """
        if not (models_dir / "heads.npz").exists():
            raise ModelsMissingError(
                f"no trained models in {models_dir}; run `rapport triage train` first"
            )
        heads = LinearModel.load(models_dir / "heads")
        language = LanguageIdentifier.load(models_dir / "language.npz")
        intent_model = None
        if intents is not None:
            path = Path(intents)
            if not path.with_suffix(".npz").exists():
                path = models_dir / "intents" / str(intents)
            intent_model = LinearModel.load(path)
        return cls(heads, language, intent_model)

    # -- heads -----------------------------------------------------------------------------

    def _head_probabilities(self, scores: npt.NDArray[Any]) -> dict[str, FloatArray]:
        """Turn the heads' decision values into named probability arrays."""
        out: dict[str, FloatArray] = {}
        for name, meta in self._head_meta.items():
            cols = scores[:, meta["columns"]]
            if meta["kind"] == "binary":
                out[name] = _sigmoid(cols[:, 0])
                continue
            if meta["kind"] == "ovr":
                sig = _sigmoid(cols)
                probs = sig / sig.sum(axis=1, keepdims=True)
            else:
                probs = _softmax(cols)
            for j, label in enumerate(meta["labels"]):
                out[label] = probs[:, j]
            out[name] = probs
        return out

    def probabilities(self, texts: Sequence[str]) -> dict[str, FloatArray]:
        """Return every head's probabilities for ``texts`` (arrays over the batch)."""
        parts: list[dict[str, FloatArray]] = []
        for start in range(0, len(texts), CHUNK):
            cleaned = [clean(t) for t in texts[start : start + CHUNK]]
            parts.append(self._head_probabilities(self.heads.scores(featurise(cleaned))))
        if not parts:
            return self._head_probabilities(np.zeros((0, len(self.heads.outputs))))
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def predict(self, task: str, texts: Sequence[str]) -> list[str]:
        """Return one label per text for a benchmark task (labels as the data names them)."""
        if task == "banking77" or task == "intent":
            if self.intents is None:
                raise ModelsMissingError("no intent model loaded")
            return [t.intent or "" for t in self.classify_batch(texts)]
        if task not in self._head_meta:
            raise ValueError(f"unknown task {task!r}")
        meta = self._head_meta[task]
        probs = self.probabilities(texts)
        labels = meta["labels"]
        if meta["kind"] == "binary":
            chosen = (probs[task] >= meta["threshold"]).astype(int)
        else:
            chosen = np.argmax(probs[task], axis=1)
        return [labels[int(i)] for i in chosen]

    # -- custom intents ----------------------------------------------------------------------

    def train_intents(
        self, name: str, rows: Iterable[tuple[str, str]], *, save_to: Path | None = None
    ) -> LinearModel:
        """Learn the organisation's intents from (text, intent) rows and use them from now on.

        ``save_to`` (a path without suffix) writes ``.npz`` + ``.json`` for later loading.
        """
        from rapport.triage.training import train_intent_model

        pairs = list(rows)
        model = train_intent_model([t for t, _ in pairs], [i for _, i in pairs], name=name)
        if save_to is not None:
            model.save(save_to)
        model.scores(featurise([""]))
        self.intents = model
        return model

    def train_intents_csv(
        self, path: Path, name: str, *, save_to: Path | None = None
    ) -> LinearModel:
        """Learn intents from a CSV of ``text,intent`` rows (see ``read_intent_csv``)."""
        return self.train_intents(name, read_intent_csv(path), save_to=save_to)

    def load_intents(self, path: Path) -> None:
        """Use the intent model saved at ``path`` (without suffix)."""
        model = LinearModel.load(path)
        model.scores(featurise([""]))
        self.intents = model

    # -- classification --------------------------------------------------------------------

    def classify(
        self, text: str, *, platform: str | None = None, is_reply: bool | None = None
    ) -> Triage:
        """Return the triage of one message."""
        return self.classify_batch([text], platform=platform, is_reply=is_reply)[0]

    def classify_batch(
        self,
        texts: Sequence[str],
        *,
        platform: str | Sequence[str | None] | None = None,
        is_reply: bool | Sequence[bool | None] | None = None,
    ) -> list[Triage]:
        """Return the triage of each message; ``platform``/``is_reply`` are one or per message."""
        n = len(texts)
        platforms = _per_message(platform, n)
        replies = _per_message(is_reply, n)
        result: list[Triage] = []
        for start in range(0, n, CHUNK):
            stop = start + CHUNK
            result.extend(
                self._classify_chunk(texts[start:stop], platforms[start:stop], replies[start:stop])
            )
        return result

    def _classify_chunk(
        self,
        texts: Sequence[str],
        platforms: list[str | None],
        replies: list[bool | None],
    ) -> list[Triage]:
        cleaned = [clean(t) for t in texts]
        batch = featurise(cleaned)
        scores = self.heads.scores(batch)
        p = self._head_probabilities(scores)
        intent_names: list[str] | None = None
        intent_index = None
        intent_conf = None
        routable = np.zeros(len(cleaned), dtype=bool)
        if self.intents is not None:
            # Only messages that ask for something or complain are routed to a team;
            # scoring the intents of the rest would cost time and mean nothing.
            routable = (p["request"] >= 0.5) | (p["complaint"] >= 0.5)
            rows = np.flatnonzero(routable)
            intent_index = np.zeros(len(cleaned), dtype=np.int64)
            intent_conf = np.zeros(len(cleaned))
            if len(rows):
                intent_probs = _softmax(self.intents.scores(batch.select(rows)))
                best = np.argmax(intent_probs, axis=1)
                intent_index[rows] = best
                intent_conf[rows] = intent_probs[np.arange(len(rows)), best]
            intent_names = self.intents.outputs
        facts = structure(cleaned, batch)
        visibility, review_platform, media_platform, reply = platform_flags(platforms, replies)
        decisions = decide(
            p,
            facts,
            visibility=visibility,
            review_platform=review_platform,
            media_platform=media_platform,
            is_reply=reply,
            intent_confidence=np.where(routable, intent_conf, 1.0)
            if intent_conf is not None
            else None,
        )
        languages = self.language.identify(batch, cleaned)
        words = self._top_words(batch, scores, p, decisions)
        reasons = _reasons(p, decisions, facts, visibility, review_platform, intent_conf, words)

        sentiment = np.argmax(p["sentiment"], axis=1)
        emotion = np.argmax(p["emotion"], axis=1)
        score = p["positive"] - p["negative"]
        rounded = {
            name: np.round(p[name], 4).tolist()
            for name in ("offensive", "hate", "irony", "complaint", "request")
        }
        score_list = np.round(score, 4).tolist()
        emotion_score = np.round(p["emotion"].max(axis=1), 4).tolist()
        risk = np.round(decisions.brand_risk, 4).tolist()
        spam = np.round(decisions.spam, 4).tolist()
        kinds = decisions.kind.tolist()
        personas = decisions.persona.tolist()
        urgencies = decisions.urgency.tolist()
        sentiments = sentiment.tolist()
        emotions = emotion.tolist()
        intents: list[str | None] = [None] * len(cleaned)
        confidences: list[float | None] = [None] * len(cleaned)
        if intent_names is not None and intent_index is not None and intent_conf is not None:
            for i, index, confidence in zip(
                np.flatnonzero(routable).tolist(),
                intent_index[routable].tolist(),
                np.round(intent_conf[routable], 4).tolist(),
                strict=True,
            ):
                intents[i] = intent_names[index]
                confidences[i] = confidence
        columns = (
            [KINDS[k] for k in kinds],
            [PERSONAS[k] for k in personas],
            [SENTIMENTS[k] for k in sentiments],
            score_list,
            [EMOTIONS[k] for k in emotions],
            emotion_score,
            rounded["offensive"],
            rounded["hate"],
            rounded["irony"],
            rounded["complaint"],
            rounded["request"],
            spam,
            [URGENCIES[k] for k in urgencies],
            risk,
            languages,
            intents,
            confidences,
            reasons,
        )
        return list(map(_make_triage, *columns))

    def _top_words(
        self,
        batch: Batch,
        scores: npt.NDArray[Any],
        p: dict[str, FloatArray],
        decisions: Decisions,
    ) -> list[list[str]]:
        """Return, per message, up to two word n-grams that pushed hardest toward its kind.

        Spam and "other" get none: no head decided them, so no word explains them.
        """
        outputs = self.heads.outputs
        column = {
            "complaint": outputs.index("complaint"),
            "abuse": outputs.index("offensive"),
            "question": outputs.index("request"),
            "praise": outputs.index("sentiment:positive"),
            "review": outputs.index("sentiment:positive"),
            "ugc": outputs.index("sentiment:positive"),
        }
        kind_column = np.array([column.get(k, -1) for k in KINDS], dtype=np.int64)
        doc_column = kind_column[decisions.kind]
        abuse = decisions.kind == KINDS.index("abuse")
        doc_column[abuse & (p["hate"] > p["offensive"])] = outputs.index("hate")
        table = self.heads.table
        rows = table[batch.word_bucket]
        # Only n-grams with a run of 3+ letters explain anything to a person.
        letters = np.zeros(len(batch.codes) + 1, dtype=np.int64)
        codes = batch.codes
        np.cumsum(((codes >= ord("a")) & (codes <= ord("z"))) | (codes >= 0xC0), out=letters[1:])
        wordy = (letters[batch.word_end] - letters[batch.word_start]) >= 3
        explained = doc_column[batch.word_doc] >= 0
        known = np.flatnonzero((rows < len(self.heads.buckets)) & wordy & explained)
        docs = batch.word_doc[known]
        folded = self.heads.folded
        contribution = folded[rows[known], doc_column[docs]]
        strong = contribution > 0
        known, docs, contribution = known[strong], docs[strong], contribution[strong]
        found: list[list[str]] = [[] for _ in range(batch.n_docs)]
        if not len(docs):
            return found
        # Entries are document-major: take each document's best, then its second best.
        starts = np.flatnonzero(np.concatenate([[True], docs[1:] != docs[:-1]]))
        lengths = np.diff(np.append(starts, len(docs)))
        picked: list[npt.NDArray[np.int64]] = []
        for _ in range(2):
            best = np.repeat(np.maximum.reduceat(contribution, starts), lengths)
            hits = np.flatnonzero((contribution == best) & (best > 0))
            if not len(hits):
                break
            first = hits[np.concatenate([[True], docs[hits][1:] != docs[hits][:-1]])]
            picked.append(first)
            contribution = contribution.copy()
            contribution[first] = -1.0
        chosen = known[np.sort(np.concatenate(picked))] if picked else known[:0]
        text = batch.text
        starts_list = batch.word_start[chosen].tolist()
        ends_list = batch.word_end[chosen].tolist()
        for start, end, doc in zip(
            starts_list, ends_list, batch.word_doc[chosen].tolist(), strict=True
        ):
            word = text[start:end]
            if word not in found[doc]:
                found[doc].append(word)
        return found


_PERCENT = tuple(f"{i}%" for i in range(101))
_SIGNED = tuple(f"{i / 100:+.2f}" for i in range(-100, 101))


def _percent(values: FloatArray) -> list[str]:
    return [_PERCENT[i] for i in np.rint(np.clip(values, 0, 1) * 100).astype(int).tolist()]


def _signed(values: FloatArray) -> list[str]:
    indices = np.rint(np.clip(values, -1, 1) * 100).astype(int) + 100
    return [_SIGNED[i] for i in indices.tolist()]


def _reasons(
    p: dict[str, FloatArray],
    d: Decisions,
    facts: Structure,
    visibility: FloatArray,
    review_platform: npt.NDArray[np.bool_],
    intent_conf: FloatArray | None,
    words: list[list[str]],
) -> list[tuple[str, ...]]:
    """Return, per message, the few facts that weighed most, in a supervisor's words.

    First why the message got its kind, then the words that pushed hardest toward
    it, then why the persona (angry, misguided), the risk topics, and a high risk.
    """
    n = len(d.kind)
    kinds = d.kind.tolist()
    personas = d.persona.tolist()
    score = _signed(p["positive"] - p["negative"])
    complaint = _percent(p["complaint"])
    request = _percent(p["request"])
    offensive = _percent(p["offensive"])
    hate = _percent(p["hate"])
    anger = _percent(p["anger"])
    angry_tone = (p["anger"] >= 0.4).tolist()
    offensive_tone = (p["offensive"] >= 0.5).tolist()
    asked = (p["request"] >= 0.5).tolist()
    toxic = ((p["hate"] >= 0.6) | (p["offensive"] >= 0.75)).tolist()
    media = ((facts.counts["medialink"] > 0) | (facts.counts["camera"] > 0)).tolist()
    rated = (facts.counts["rating"] > 0).tolist()
    confusion = (facts.counts["confusion"] > 0).tolist()
    doubled = (facts.counts["double_question"] > 0).tolist()
    uncovered = (intent_conf < 0.25).tolist() if intent_conf is not None else [False] * n
    best_intent = _percent(intent_conf) if intent_conf is not None else [""] * n
    urls = facts.counts["url"].tolist()
    hashtags = facts.counts["hashtag"].tolist()
    spam = d.spam.tolist()
    has_words = (facts.words > 0).tolist()
    topics = facts.topics()
    topic_names = [TOPIC_WORDS[t] for t in topics]
    topic_matrix = np.stack(list(topics.values()), axis=1)
    with_topics = set(np.flatnonzero(topic_matrix.any(axis=1)).tolist())
    risky = (d.brand_risk >= 0.5).tolist()
    risk = d.brand_risk.tolist()
    public = (visibility >= 1.0).tolist()
    review = review_platform.tolist()
    out: list[tuple[str, ...]] = []
    for i in range(n):
        kind = KINDS[kinds[i]]
        if kind == "complaint":
            found = ["reads as a complaint (" + complaint[i] + ")"]
        elif kind == "question":
            found = [
                "asks for information or action (" + request[i] + ")"
                if asked[i]
                else "asks a direct question"
            ]
        elif kind == "abuse":
            found = [
                "abusive language (offensive " + offensive[i] + ", hate " + hate[i] + ")"
                if toxic[i]
                else "mocks without a grievance to fix (offensive " + offensive[i] + ")"
            ]
        elif kind == "praise":
            found = ["positive tone (" + score[i] + ")"]
        elif kind == "spam":
            found = [f"spam signals ({urls[i]} links, {hashtags[i]} hashtags, score {spam[i]:.2f})"]
        elif kind == "ugc":
            found = ["shares a photo or video" if media[i] else "shares a moment with a hashtag"]
        elif kind == "review":
            if review[i]:
                found = ["posted on a review site"]
            elif rated[i]:
                found = ["gives a rating"]
            else:
                found = ["evaluates the brand (sentiment " + score[i] + ")"]
        elif has_words[i]:
            found = ["no strong signal (sentiment " + score[i] + ")"]
        else:
            found = ["no words to read (empty, emoji or symbols only)"]
        if words[i]:
            found.append("key words: '" + "', '".join(words[i]) + "'")
        persona = personas[i]
        if persona == _ANGRY:
            if angry_tone[i]:
                found.append("angry tone (anger " + anger[i] + ")")
            elif offensive_tone[i]:
                found.append("offensive language (" + offensive[i] + ")")
            else:
                found.append("written in capitals")
        elif persona == _MISGUIDED:
            if confusion[i]:
                found.append("sounds unsure or working from a wrong assumption")
            elif doubled[i]:
                found.append("asks with '??' (confused)")
            if uncovered[i]:
                found.append("matches none of our intents (best " + best_intent[i] + ")")
        if i in with_topics:
            found.extend(name for name, on in zip(topic_names, topic_matrix[i], strict=True) if on)
        if risky[i]:
            found.append(
                f"brand risk {risk[i]:.2f}" + (" on a public channel" if public[i] else "")
            )
        out.append(tuple(found[:MAX_REASONS]))
    return out


_ANGRY = PERSONAS.index("angry_customer")
_MISGUIDED = PERSONAS.index("misguided_customer")
_lock = threading.Lock()
_default: dict[str, Engine] = {}
ACTIVE_INTENTS_FILE = "ACTIVE"


def active_intents(models_dir: Path = MODELS_DIR) -> str | None:
    """Return the intent model the default engine loads, or None.

    ``RAPPORT_TRIAGE_INTENTS`` (a name or a path; empty for none) wins; then the
    name in ``models/intents/ACTIVE``, written by ``train-intents``.
    """
    env = os.environ.get("RAPPORT_TRIAGE_INTENTS")
    if env is not None:
        return env or None
    marker = models_dir / "intents" / ACTIVE_INTENTS_FILE
    if marker.exists():
        name = marker.read_text(encoding="utf-8").strip()
        if name and (models_dir / "intents" / f"{name}.npz").exists():
            return name
    return None


def default_engine() -> Engine:
    """Return the engine over the packaged models (loaded once per process)."""
    intents = active_intents()
    key = intents or ""
    with _lock:
        if key not in _default:
            _default[key] = Engine.load(MODELS_DIR, intents)
        return _default[key]


def read_intent_csv(path: Path) -> list[tuple[str, str]]:
    """Read ``text,intent`` rows from a CSV.

    A header row naming text/utterance and intent/category/label picks the columns;
    without one, the first two columns are text and intent.
    """
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    text_col, intent_col = 0, 1
    if any(h in ("text", "utterance") for h in header) and any(
        h in ("intent", "category", "label") for h in header
    ):
        text_col = next(i for i, h in enumerate(header) if h in ("text", "utterance"))
        intent_col = next(i for i, h in enumerate(header) if h in ("intent", "category", "label"))
        rows = rows[1:]
    return [(r[text_col], r[intent_col]) for r in rows if len(r) > max(text_col, intent_col)]


def save_active(name: str, models_dir: Path = MODELS_DIR) -> None:
    """Make ``name`` the intent model that ``default_engine`` loads."""
    folder = models_dir / "intents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ACTIVE_INTENTS_FILE).write_text(name + "\n", encoding="utf-8")
    _default.clear()


def describe(engine: Engine) -> str:
    """Return a JSON summary of the engine's heads and intents."""
    summary = {
        "heads": {k: v["labels"] for k, v in engine.heads.meta["heads"].items()},
        "features": len(engine.heads.buckets),
        "intents": engine.intents.outputs if engine.intents else None,
    }
    return json.dumps(summary, indent=1)
