"""Composite rules: kind, persona, urgency and brand risk from the trained heads.

No public data labels these customer-service notions directly, so they are
documented rules over the trained heads' probabilities (sentiment, emotion,
offensive, hate, irony, complaint, request) plus a few structural facts of the
message and what the caller knows (platform, is it a reply). Everything is
vectorised over the batch with numpy.

Structural facts (regular expressions over the raw text, no learning involved):
links, media links (photo/video hosts and file names), hashtags, mentions, long
character runs, and *risk topics*. Risk topics are small documented word lists
(``TOPIC_LEXICON``) because no labelled data exists for them: safety (injury,
caught fire, poisoning, allergy...), legal (lawyer, lawsuit, court,
regulator...), media (journalist, the press, going viral...), refund refused (a
refund word and a refusal word in the same message) and churn (cancel/close my
account, switching to...). They are matched on the hashed word tokens and
bigrams of the batch, so they cost one vectorised lookup.

Kind, first rule that holds (score = P(positive) - P(negative)):
1. spam: spam score >= 0.5 (links, hashtag or mention stuffing, long
   character runs; see ``spam_score``);
2. abuse: toxic (hate >= 0.6 or offensive >= 0.75) and not a complaint
   (complaint < 0.5), or very toxic (max >= 0.9) and complaint < 0.8;
3. review: posted on a review platform, or gives a rating ("4/5", "5 stars",
   "★★★") - a one-star review is a review, not a complaint or abuse;
4. abuse (derision): offensive >= ``DERISION_OFFENSIVE`` (0.3), more negative
   than positive, no complaint (< 0.5), no request (< 0.5) and no question
   mark: mockery with no grievance to fix ("tastes like puddle water");
5. complaint: complaint >= 0.5 and a tone that is not clearly happy (score <
   0.3, or complaint >= 0.8 and score < 0.6);
6. question: request >= 0.5 (asks for information or action; learnt from
   customer requests, so no question mark is needed), or a question mark in a
   message that is not clearly happy (score < 0.6: "Thanks!" after a question
   keeps it a question; "best in town, right?" does not make one);
7. ugc: a media link or a camera emoji (📷 📸 📹 🎥 🤳), or a top-level post on
   a photo/video platform, and not negative (score > -0.3);
8. review: a long top-level evaluative post (|score| >= 0.5, 25+ words);
9. ugc (shared story): a top-level post with a hashtag that does not start by
   addressing someone (@...), asks nothing and is not negative: people
   sharing their moment with the brand's tag;
10. praise: score >= 0.3, or score >= 0.1 with joy + optimism >= 0.5 (the
    TweetEval sentiment head is cautious on customer praise, the emotion head
    less so);
11. other.

Persona, first rule that holds:
1. troll: kind abuse (including derision), or ironic (>= 0.7) and toxic
   (>= 0.5) without complaint;
2. angry_customer: discontent (max of complaint and negative) >= 0.5, not
   confused (below), and (anger >= 0.4 with negative >= 0.4, or offensive >=
   0.5, or all capitals);
3. misguided_customer: a question, a complaint or a request whose writer is
   working from a wrong assumption or has the wrong company. Signals (any):
   a confusion cue (``CONFUSION_WORDS``: "I thought", "I was told", "supposed
   to", "the website says", "same as", "wrong number", "number for" (as in
   "is this the number for the bank?"), "not sure", "confused"...), a doubled
   question mark ("??"), or, when the organisation has custom intents, none
   of them covers the message (intent confidence < 0.25). Nothing here checks
   facts against what the organisation sells or where it is: the engine does
   not know the organisation, so "you sold me a broken TV" sent to a café is
   only caught when the intents (which the organisation trains) do not cover it;
4. unhappy_customer: kind complaint, negative sentiment (score <= -0.3), or a
   review with discontent >= 0.5 (a two-star rating that complains);
5. brand_advocate: kind ugc (sharing one's own content about the brand; ugc is
   never negative), or positive (score >= 0.3 or kind praise) and a review, a
   recommendation cue (``ADVOCACY_WORDS``: "recommend", "telling
   everyone", "won't regret", "must try", "PSA"...), or praise with optimism
   >= joy (the author recommends the brand to others);
6. complimentary_customer: kind praise, or positive sentiment;
7. neutral.

Brand risk in [0, 1]:
``visibility * clip(0.45 * discontent + 0.15 * heat + topics * (0.25 + 0.45 * discontent))``
where heat is max(anger * negative, offensive, hate), topics is the capped sum
of topic weights (safety .5, legal .45, media .4, refund refused .35, churn .2),
and visibility is 1 for public platforms, 0.9 when unknown, 0.6 for private
ones (e-mail, DM, forms). A public angry complaint that threatens a lawyer
scores about 0.85; a plain complaint about 0.5; praise near 0.

Urgency: critical if risk >= 0.75 or a safety topic with discontent >= 0.5;
high if risk >= 0.5 (0.7 for abuse) or the persona is angry_customer; normal for questions,
complaints, reviews, unhappy and misguided customers; low otherwise (praise,
ugc, spam, other, and abuse without risk: trolls are not fed first).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rapport.triage.labels import (
    KINDS,
    MEDIA_PLATFORMS,
    PERSONAS,
    PRIVATE_PLATFORMS,
    REVIEW_PLATFORMS,
    RISK_TOPICS,
    URGENCIES,
)
from rapport.triage.text import BUCKET_BITS, CHAR_ORDERS, WORD_CLASS, Batch, featurise

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Word lists per risk topic (one or two tokens, matched on the hashed word
# features of the batch, so matching costs one vectorised lookup).
TOPIC_LEXICON: dict[str, tuple[str, ...]] = {
    "safety": (
        "unsafe",
        "dangerous",
        "danger",
        "hazard",
        "hazardous",
        "injury",
        "injured",
        "injuries",
        "hurt me",
        "burnt",
        "burned me",
        "caught fire",
        "fire hazard",
        "exploded",
        "explode",
        "explosion",
        "poison",
        "poisoned",
        "poisoning",
        "allergic",
        "allergy",
        "anaphylaxis",
        "choked",
        "choking",
        "hospital",
        "ambulance",
        "electric shock",
        "recall",
        "recalled",
    ),
    "legal": (
        "lawyer",
        "lawyers",
        "attorney",
        "attorneys",
        "solicitor",
        "solicitors",
        "sue",
        "suing",
        "sued",
        "lawsuit",
        "legal action",
        "court",
        "small claims",
        "class action",
        "ombudsman",
        "trading standards",
        "regulator",
        "bbb",
        "ftc",
        "fca",
    ),
    "media": (
        "journalist",
        "journalists",
        "reporter",
        "reporters",
        "the press",
        "the media",
        "newspaper",
        "bbc",
        "cnn",
        "watchdog",
        "go viral",
        "going viral",
        "going public",
        "tv station",
    ),
    "churn": (
        "cancel my",
        "cancelling my",
        "canceling my",
        "close my",
        "closing my",
        "switching to",
        "switch to",
        "never again",
        "taking my business",
        "take my business",
        "my business",
    ),
}
# A refund is "refused" when a refund word and a refusal word occur in the same message.
REFUND_WORDS = ("refund", "refunds", "refunded", "refunding", "money back")
REFUSAL_WORDS = (
    "refuse",
    "refused",
    "refuses",
    "refusing",
    "denied",
    "deny",
    "denying",
    "declined",
    "decline",
    "won't",
    "wont",
    "will not",
    "wouldn't",
    "can't",
    "cannot",
    "no refund",
)
# Cues that the writer is working from a wrong assumption or has the wrong company
# (see the misguided_customer persona): no labelled data exists for this either.
CONFUSION_WORDS = (
    "i thought",
    "thought you",
    "thought it",
    "was told",
    "were told",
    "i assumed",
    "assumed",
    "supposed to",
    "confused",
    "confusing",
    "silly question",
    "not sure",
    "i think",
    "website says",
    "it says",
    "same as",
    "wrong number",
    "right number",
    "number for",
    "wrong company",
    "right company",
    "right place",
    "wrong place",
    "wrong account",
    "isn't it",
    "aren't you",
    "didn't you",
    "don't you",
    "no idea",
    "mixed up",
)
# Cues of recommending the brand to others (the brand_advocate persona).
ADVOCACY_WORDS = (
    "recommend",
    "recommended",
    "recommending",
    "telling everyone",
    "told everyone",
    "telling all",
    "told all",
    "tell everyone",
    "told you",
    "won't regret",
    "must try",
    "go try",
    "check them",
    "converted",
    "everyone should",
    "best in",
    "psa",
)
TOPIC_WEIGHTS = {"safety": 0.5, "legal": 0.45, "media": 0.4, "refund_refused": 0.35, "churn": 0.2}
TOPIC_WORDS = {
    "safety": "mentions a safety issue",
    "legal": "mentions legal action",
    "media": "mentions the media",
    "refund_refused": "says a refund was refused",
    "churn": "threatens to leave",
}
_LEXICON_GROUPS = (
    *TOPIC_LEXICON,
    "refund",
    "refusal",
    "stars",
    "http",
    "xallcaps",
    "confusion",
    "advocacy",
)
# Emoji that say "here is my photo or video" (a structural fact, like a media link).
_CAMERA = (0x1F4F7, 0x1F4F8, 0x1F4F9, 0x1F3A5, 0x1F933)

_MEDIA_RE = re.compile(
    r"pic\.twitter\.com|instagram\.com/(?:p|reel)/|youtu\.?be|imgur\.com|tiktok\.com/|flic\.kr"
    r"|\.(?:jpe?g|png|gif|mp4|mov)\b|\[(?:photo|image|video|pic|picture)\]",
    re.IGNORECASE,
)
_RATING_RE = re.compile(
    r"\b(?:[0-9]|10)(?:[.,]5)?\s*(?:/\s*(?:5|10)\b|(?:out of (?:5|10|five|ten)\s*)?stars?\b)"
    r"|\b(?:one|two|three|four|five) stars?\b|★",
    re.IGNORECASE,
)
_SEP = "\x02"
# A sentiment score (P(positive) - P(negative)) at or above this reads as happy.
POSITIVE_SCORE = 0.3
# Offensive probability from which a negative message that is neither a complaint
# nor a request reads as derision (a troll), not as a neutral remark.
DERISION_OFFENSIVE = 0.3
_lexicon: npt.NDArray[np.int8] | None = None


def _phrase_bucket(phrase: str) -> int:
    """Return the word-feature bucket of a one- or two-token phrase."""
    batch = featurise([phrase])
    return int(batch.word_bucket[1 if len(batch.word_bucket) > 1 else 0])


def _lexicon_table() -> npt.NDArray[np.int8]:
    """Return (once) a table from word bucket to lexicon group + 1 (0: no group)."""
    global _lexicon
    if _lexicon is None:
        groups = {
            **TOPIC_LEXICON,
            "refund": REFUND_WORDS,
            "refusal": REFUSAL_WORDS,
            "stars": ("star", "stars"),
            "http": ("http",),
            "xallcaps": ("xallcaps",),  # the normaliser's mark of a shouted message
            "confusion": CONFUSION_WORDS,
            "advocacy": ADVOCACY_WORDS,
        }
        table = np.zeros((1 << BUCKET_BITS) + 1, dtype=np.int8)
        for group, phrases in groups.items():
            for phrase in phrases:
                table[_phrase_bucket(phrase)] = _LEXICON_GROUPS.index(group) + 1
        _lexicon = table
    return _lexicon


@dataclass(frozen=True)
class Structure:
    """Per-message counts of structural facts, each an array over the batch."""

    counts: dict[str, npt.NDArray[np.int64]]
    words: npt.NDArray[np.int64]
    all_caps: BoolArray

    def topics(self) -> dict[str, BoolArray]:
        """Return which risk topics each message mentions."""
        return {t: self.counts[t] > 0 for t in RISK_TOPICS}


def structure(texts: list[str], batch: Batch) -> Structure:
    """Count links, media, hashtags, mentions, character runs and risk topics per text.

    ``batch`` is the featurised form of the same texts (for the topic lexicon).
    """
    n = len(texts)
    # Hashtags and mentions from the normalised batch ("#tag" and "@user" survive it).
    codes, doc_of = batch.codes, batch.doc_of
    next_is_word = np.zeros(len(codes), dtype=bool)
    next_is_word[:-1] = batch.classes[1:] == WORD_CLASS

    def per_doc(mask: BoolArray) -> npt.NDArray[np.int64]:
        return np.bincount(doc_of[mask], minlength=n).astype(np.int64)

    counts: dict[str, npt.NDArray[np.int64]] = {
        "hashtag": per_doc((codes == ord("#")) & next_is_word),
        "mention": per_doc((codes == ord("@")) & next_is_word),
        # Runs of one repeated visible character ("!!!!!!", "zzzzzzzz..."), measured
        # before normalisation cut them.
        "run": (batch.longest_run >= 6).astype(np.int64),
        "flood": (batch.longest_run >= 20).astype(np.int64),
    }
    # Risk topics (and the word "star") from the word features.
    group_of = _lexicon_table()[batch.word_bucket]
    hit = group_of > 0
    groups = len(_LEXICON_GROUPS)
    found_groups = np.bincount(
        batch.word_doc[hit] * groups + (group_of[hit] - 1), minlength=n * groups
    ).reshape(n, groups)
    for index, group in enumerate(TOPIC_LEXICON):
        counts[group] = found_groups[:, index].astype(np.int64)
    # Links: normalisation turns every URL into the token "http".
    counts["url"] = found_groups[:, _LEXICON_GROUPS.index("http")].astype(np.int64)
    refund = found_groups[:, _LEXICON_GROUPS.index("refund")] > 0
    refusal = found_groups[:, _LEXICON_GROUPS.index("refusal")] > 0
    counts["refund_refused"] = (refund & refusal).astype(np.int64)
    # Every media pattern holds a "/" or a "[" (links, file paths, "[photo]"); every
    # rating a "/", "★" or the word "star", so the regular expressions only see those.
    slash = per_doc((codes == ord("/")) | (codes == ord("[")) | (codes == ord("★"))) > 0
    slash |= counts["url"] > 0
    star = found_groups[:, _LEXICON_GROUPS.index("stars")] > 0
    media = np.zeros(n, dtype=np.int64)
    rating = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(slash | star).tolist():
        text = texts[i]
        if slash[i]:
            media[i] = len(_MEDIA_RE.findall(text))
        if _RATING_RE.search(text):
            rating[i] = 1
    counts["medialink"] = media
    counts["rating"] = rating
    marks = np.flatnonzero(codes == ord("?"))
    counts["question_mark"] = np.bincount(doc_of[marks], minlength=n).astype(np.int64)
    doubled = marks[1:][np.diff(marks) == 1]
    counts["double_question"] = np.bincount(doc_of[doubled], minlength=n).astype(np.int64)
    wide = np.flatnonzero(codes >= min(_CAMERA))
    camera = wide[np.isin(codes[wide], _CAMERA)]
    counts["camera"] = np.bincount(doc_of[camera], minlength=n).astype(np.int64)
    counts["confusion"] = found_groups[:, _LEXICON_GROUPS.index("confusion")].astype(np.int64)
    counts["advocacy"] = found_groups[:, _LEXICON_GROUPS.index("advocacy")].astype(np.int64)
    # Addressed to someone: the first character of the message is "@" (each
    # document starts one space after its separator).
    starts = batch.char_indptr[:-1] // len(CHAR_ORDERS) + 1
    inside = starts < len(codes)
    first = np.zeros(n, dtype=bool)
    first[inside] = codes[starts[inside]] == ord("@")
    counts["leading_mention"] = first.astype(np.int64)
    words = batch.n_words
    all_caps = found_groups[:, _LEXICON_GROUPS.index("xallcaps")] > 0
    return Structure(counts=counts, words=words, all_caps=all_caps)


def spam_score(s: Structure, is_reply: BoolArray) -> FloatArray:
    """Return a documented spam score in [0, 1] (no labelled spam data is available).

    Two or more links: .35; one link in a top-level post: .15; 4+ hashtags: .3;
    hashtags making up half the words: .3; 4+ mentions: .25; a run of 6+ identical
    characters: .2; a run of 20+: .5 more.
    """
    c = s.counts
    score = (
        0.35 * (c["url"] >= 2)
        + 0.15 * ((c["url"] == 1) & ~is_reply)
        + 0.3 * (c["hashtag"] >= 4)
        + 0.3 * ((c["hashtag"] >= 2) & (2 * c["hashtag"] >= s.words))
        + 0.25 * (c["mention"] >= 4)
        + 0.2 * (c["run"] > 0)
        + 0.5 * (c["flood"] > 0)
    )
    return np.clip(score, 0.0, 1.0)


def platform_flags(
    platforms: list[str | None], is_reply: list[bool | None]
) -> tuple[FloatArray, BoolArray, BoolArray, BoolArray]:
    """Return (visibility, on a review platform, on a media platform, is a reply)."""
    n = len(platforms)
    flags = [_platform_flags(p) for p in platforms] if any(platforms) else [_NO_PLATFORM] * n
    visibility = np.fromiter((f[0] for f in flags), dtype=np.float64, count=n)
    review = np.fromiter((f[1] for f in flags), dtype=bool, count=n)
    media = np.fromiter((f[2] for f in flags), dtype=bool, count=n)
    reply = np.fromiter((bool(r) for r in is_reply), dtype=bool, count=n)
    return visibility, review, media, reply


_NO_PLATFORM = (0.9, False, False)


@functools.lru_cache(maxsize=256)
def _platform_flags(platform: str | None) -> tuple[float, bool, bool]:
    name = (platform or "").strip().lower()
    if not name:
        return _NO_PLATFORM
    visibility = 0.6 if name in PRIVATE_PLATFORMS else 1.0
    return visibility, name in REVIEW_PLATFORMS, name in MEDIA_PLATFORMS


@dataclass(frozen=True)
class Decisions:
    """The composite labels of a batch, as index arrays into the label tuples."""

    kind: npt.NDArray[np.int64]
    persona: npt.NDArray[np.int64]
    urgency: npt.NDArray[np.int64]
    brand_risk: FloatArray
    spam: FloatArray
    discontent: FloatArray


def decide(
    p: dict[str, FloatArray],
    s: Structure,
    *,
    visibility: FloatArray,
    review_platform: BoolArray,
    media_platform: BoolArray,
    is_reply: BoolArray,
    intent_confidence: FloatArray | None,
) -> Decisions:
    """Apply the documented rules (module docstring) to head probabilities ``p``.

    ``p`` holds arrays for: negative, neutral, positive, anger, joy, optimism,
    sadness, offensive, hate, irony, complaint, request.
    """
    n = len(p["complaint"])
    score = p["positive"] - p["negative"]
    toxic = np.maximum(p["offensive"], p["hate"])
    discontent = np.maximum(p["complaint"], p["negative"])
    spam = spam_score(s, is_reply)
    topics = s.topics()
    media = (s.counts["medialink"] > 0) | (s.counts["camera"] > 0)

    c = s.counts
    asks = p["request"] >= 0.5
    question_mark = c["question_mark"] > 0
    # Derision: hostile, negative, and neither a grievance nor a request (the troll's
    # "tastes like puddle water"). A complaint or a question is never derision.
    derision = (
        (p["offensive"] >= DERISION_OFFENSIVE)
        & (p["negative"] > p["positive"])
        & (p["complaint"] < 0.5)
        & ~asks
        & ~question_mark
    )
    # A complaint needs the complaint head and a tone that is not clearly happy:
    # "arrived a day early and smells incredible" is praise whatever the head says.
    complaint = (p["complaint"] >= 0.5) & (
        (score < POSITIVE_SCORE) | ((p["complaint"] >= 0.8) & (score < 0.6))
    )
    shares = (
        (c["hashtag"] > 0)
        & (c["leading_mention"] == 0)
        & ~is_reply
        & (score > -0.3)
        & ~asks
        & ~question_mark
    )
    kind = np.full(n, KINDS.index("other"), dtype=np.int64)
    rated = review_platform | (c["rating"] > 0)
    rules = [
        ("spam", spam >= 0.5),
        (
            "abuse",
            (((p["hate"] >= 0.6) | (p["offensive"] >= 0.75)) & (p["complaint"] < 0.5))
            | ((toxic >= 0.9) & (p["complaint"] < 0.8)),
        ),
        ("review", rated),
        ("abuse", derision),
        ("complaint", complaint),
        ("question", asks | (question_mark & (score < POSITIVE_SCORE + 0.3))),
        ("ugc", (media | (media_platform & ~is_reply)) & (score > -0.3)),
        ("review", ~is_reply & (np.abs(score) >= 0.5) & (s.words >= 25)),
        ("ugc", shares),
        (
            "praise",
            (score >= POSITIVE_SCORE) | ((score >= 0.1) & (p["joy"] + p["optimism"] >= 0.5)),
        ),
    ]
    decided = np.zeros(n, dtype=bool)
    for name, condition in rules:
        take = condition & ~decided
        kind[take] = KINDS.index(name)
        decided |= take

    def is_kind(name: str) -> BoolArray:
        return kind == KINDS.index(name)

    positive = (score >= POSITIVE_SCORE) | is_kind("praise")
    uncovered = (
        intent_confidence < 0.25 if intent_confidence is not None else np.zeros(n, dtype=bool)
    )
    confused = (c["confusion"] > 0) | (c["double_question"] > 0) | uncovered
    persona = np.full(n, PERSONAS.index("neutral"), dtype=np.int64)
    persona_rules = [
        (
            "troll",
            is_kind("abuse") | ((p["irony"] >= 0.7) & (toxic >= 0.5) & (p["complaint"] < 0.5)),
        ),
        (
            "angry_customer",
            (discontent >= 0.5)
            & ~confused
            & (
                ((p["anger"] >= 0.4) & (p["negative"] >= 0.4))
                | (p["offensive"] >= 0.5)
                | s.all_caps
            ),
        ),
        (
            "misguided_customer",
            (is_kind("question") | is_kind("complaint") | asks) & confused,
        ),
        (
            "unhappy_customer",
            is_kind("complaint") | (score <= -0.3) | (is_kind("review") & (discontent >= 0.5)),
        ),
        (
            "brand_advocate",
            is_kind("ugc")
            | (
                positive
                & (
                    is_kind("review")
                    | (c["advocacy"] > 0)
                    | (is_kind("praise") & (p["optimism"] >= p["joy"]))
                )
            ),
        ),
        ("complimentary_customer", is_kind("praise") | positive),
    ]
    decided = np.zeros(n, dtype=bool)
    for name, condition in persona_rules:
        take = condition & ~decided
        persona[take] = PERSONAS.index(name)
        decided |= take

    heat = np.maximum.reduce([p["anger"] * p["negative"], p["offensive"], p["hate"]])
    topic_load = np.minimum(
        1.0, sum(TOPIC_WEIGHTS[t] * topics[t].astype(np.float64) for t in RISK_TOPICS)
    )
    risk = visibility * np.clip(
        0.45 * discontent + 0.15 * heat + topic_load * (0.25 + 0.45 * discontent), 0.0, 1.0
    )
    risk = np.where(is_kind("spam"), risk * 0.3, risk)

    urgency = np.full(n, URGENCIES.index("low"), dtype=np.int64)
    normal = (
        is_kind("question")
        | is_kind("complaint")
        | is_kind("review")
        | (persona == PERSONAS.index("unhappy_customer"))
        | (persona == PERSONAS.index("misguided_customer"))
    )
    urgency[normal] = URGENCIES.index("normal")
    abuse = is_kind("abuse")
    high = ((risk >= 0.5) & ~abuse) | (risk >= 0.7) | (persona == PERSONAS.index("angry_customer"))
    urgency[high] = URGENCIES.index("high")
    critical = (risk >= 0.75) | (topics["safety"] & (discontent >= 0.5))
    urgency[critical] = URGENCIES.index("critical")
    return Decisions(
        kind=kind,
        persona=persona,
        urgency=urgency,
        brand_risk=risk,
        spam=spam,
        discontent=discontent,
    )
