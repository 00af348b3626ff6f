"""The composite rules (kind, persona, urgency, brand risk) on fixed head outputs."""

from __future__ import annotations

import numpy as np

from rapport.triage import KINDS, PERSONAS, URGENCIES
from rapport.triage.rules import Decisions, decide, structure
from rapport.triage.text import clean, featurise

NEUTRAL = {
    "negative": 0.1,
    "neutral": 0.8,
    "positive": 0.1,
    "anger": 0.25,
    "joy": 0.25,
    "optimism": 0.25,
    "sadness": 0.25,
    "offensive": 0.1,
    "hate": 0.05,
    "irony": 0.1,
    "complaint": 0.1,
    "request": 0.1,
}


def run(
    text: str = "a message",
    *,
    platform_visibility: float = 1.0,
    review: bool = False,
    reply: bool = False,
    intent_confidence: float | None = None,
    **heads: float,
) -> Decisions:
    probabilities = {k: np.array([v]) for k, v in {**NEUTRAL, **heads}.items()}
    texts = [clean(text)]
    return decide(
        probabilities,
        structure(texts, featurise(texts)),
        visibility=np.array([platform_visibility]),
        review_platform=np.array([review]),
        media_platform=np.array([False]),
        is_reply=np.array([reply]),
        intent_confidence=None if intent_confidence is None else np.array([intent_confidence]),
    )


def kind(d: Decisions) -> str:
    return KINDS[int(d.kind[0])]


def persona(d: Decisions) -> str:
    return PERSONAS[int(d.persona[0])]


def urgency(d: Decisions) -> str:
    return URGENCIES[int(d.urgency[0])]


def test_complaint_outranks_question() -> None:
    decided = run(complaint=0.9, request=0.9, negative=0.7, neutral=0.2)

    assert kind(decided) == "complaint"
    assert persona(decided) == "unhappy_customer"
    assert urgency(decided) == "normal"


def test_toxic_message_without_complaint_is_abuse_by_a_troll() -> None:
    decided = run(offensive=0.95, negative=0.8, neutral=0.1)

    assert kind(decided) == "abuse"
    assert persona(decided) == "troll"
    assert urgency(decided) == "low"


def test_swearing_complaint_stays_a_complaint_from_an_angry_customer() -> None:
    decided = run(complaint=0.9, offensive=0.8, anger=0.7, negative=0.8, neutral=0.1)

    assert kind(decided) == "complaint"
    assert persona(decided) == "angry_customer"
    assert urgency(decided) in ("high", "critical")


def test_public_angry_complaint_with_a_lawyer_is_critical_risk() -> None:
    decided = run(
        "you refused my refund, my lawyer will hear about this",
        complaint=0.95,
        anger=0.8,
        negative=0.9,
        neutral=0.05,
    )

    assert decided.brand_risk[0] >= 0.75
    assert urgency(decided) == "critical"


def test_the_same_complaint_in_private_carries_less_risk() -> None:
    text = "you refused my refund, my lawyer will hear about this"
    public = run(text, complaint=0.95, negative=0.9, neutral=0.05)
    private = run(text, platform_visibility=0.6, complaint=0.95, negative=0.9, neutral=0.05)

    assert private.brand_risk[0] < public.brand_risk[0]


def test_risk_is_bounded_and_low_for_praise() -> None:
    decided = run(positive=0.95, negative=0.01, neutral=0.04, joy=0.9)

    assert 0.0 <= decided.brand_risk[0] <= 0.1
    assert kind(decided) == "praise"
    assert urgency(decided) == "low"


def test_link_and_hashtag_stuffing_is_spam() -> None:
    decided = run("win now http://a.example http://b.example #win #free #prize #now")

    assert kind(decided) == "spam"
    assert decided.spam[0] >= 0.5


def test_media_link_with_positive_tone_is_ugc_from_an_advocate() -> None:
    decided = run(
        "my new boots on the hike pic.twitter.com/abc", positive=0.8, neutral=0.15, negative=0.05
    )

    assert kind(decided) == "ugc"
    assert persona(decided) == "brand_advocate"


def test_review_platform_makes_a_review() -> None:
    decided = run("good", review=True, positive=0.7, neutral=0.2, negative=0.1)

    assert kind(decided) == "review"


def test_question_no_intent_covers_is_a_misguided_customer() -> None:
    decided = run(request=0.9, intent_confidence=0.1)

    assert kind(decided) == "question"
    assert persona(decided) == "misguided_customer"


def test_question_without_intent_model_is_neutral() -> None:
    decided = run(request=0.9)

    assert persona(decided) == "neutral"
    assert urgency(decided) == "normal"


def test_rules_are_vectorised_over_a_batch() -> None:
    texts = [clean(t) for t in ["one", "two", "three"]]
    probabilities = {k: np.full(3, v) for k, v in NEUTRAL.items()}
    probabilities["complaint"] = np.array([0.9, 0.1, 0.1])

    decided = decide(
        probabilities,
        structure(texts, featurise(texts)),
        visibility=np.ones(3),
        review_platform=np.zeros(3, dtype=bool),
        media_platform=np.zeros(3, dtype=bool),
        is_reply=np.zeros(3, dtype=bool),
        intent_confidence=None,
    )

    assert [KINDS[i] for i in decided.kind] == ["complaint", "other", "other"]


def test_happy_message_is_praise_even_when_the_complaint_head_fires() -> None:
    decided = run(
        "@shop arrived a day early and the beans smell incredible",
        complaint=0.7,
        positive=0.6,
        neutral=0.3,
        negative=0.1,
    )

    assert kind(decided) == "praise"
    assert persona(decided) in ("complimentary_customer", "brand_advocate")


def test_a_strong_complaint_survives_a_mildly_positive_tone() -> None:
    decided = run("usually love you but this is the third cold coffee", complaint=0.9, positive=0.5)

    assert kind(decided) == "complaint"


def test_derision_without_a_grievance_is_abuse_by_a_troll() -> None:
    decided = run(
        "lol this place is a joke, overpriced brown water",
        offensive=0.4,
        negative=0.5,
        neutral=0.3,
        positive=0.2,
        complaint=0.2,
    )

    assert kind(decided) == "abuse"
    assert persona(decided) == "troll"
    assert urgency(decided) == "low"


def test_the_same_tone_with_a_question_is_not_derision() -> None:
    decided = run(
        "why is everything so expensive now?",
        offensive=0.4,
        negative=0.5,
        neutral=0.3,
        positive=0.2,
        complaint=0.2,
    )

    assert kind(decided) == "question"
    assert persona(decided) != "troll"


def test_a_question_mark_makes_a_question_even_when_the_request_head_is_unsure() -> None:
    decided = run("What time do you open on Monday? Thanks!", request=0.1, positive=0.4)

    assert kind(decided) == "question"


def test_a_rated_post_is_a_review_even_when_it_complains() -> None:
    decided = run("★★☆☆☆ the flat white was lukewarm", complaint=0.8, negative=0.6, positive=0.1)

    assert kind(decided) == "review"


def test_camera_emoji_and_a_shared_hashtag_make_ugc() -> None:
    photo = run("my morning pour-over with your beans 📸", positive=0.3, neutral=0.6)
    story = run("Window seat, good book, perfect Sunday #emberandoak", positive=0.3, neutral=0.6)
    addressed = run("@emberandoak window seat, good book #emberandoak", positive=0.6, neutral=0.3)

    assert kind(photo) == "ugc"
    assert kind(story) == "ugc"
    assert kind(addressed) == "praise"


def test_confusion_cues_make_a_misguided_customer() -> None:
    wrong_company = run("is this the number for the bank?", request=0.8)
    wrong_fact = run("I thought delivery was free for the first year?", request=0.7)
    doubled = run("is the cortado the same as a latte?? mine was tiny", request=0.6)
    plain = run("what time do you open on Monday?", request=0.9)

    assert persona(wrong_company) == "misguided_customer"
    assert persona(wrong_fact) == "misguided_customer"
    assert persona(doubled) == "misguided_customer"
    assert persona(plain) == "neutral"
    assert urgency(wrong_company) == "normal"


def test_a_confused_complaint_is_misguided_not_angry() -> None:
    decided = run(
        "I was told the refund was automatic?? still nothing",
        complaint=0.8,
        negative=0.6,
        positive=0.1,
        anger=0.6,
    )

    assert kind(decided) == "complaint"
    assert persona(decided) == "misguided_customer"


def test_confusion_cue_in_praise_is_not_misguided() -> None:
    decided = run("I think this is the best coffee in town", positive=0.8, neutral=0.15)

    assert persona(decided) != "misguided_customer"


def test_recommending_the_brand_makes_an_advocate() -> None:
    decided = run(
        "Subscribed last month and love it. Telling all my friends",
        positive=0.6,
        neutral=0.3,
        negative=0.1,
        joy=0.6,
        optimism=0.1,
    )

    assert kind(decided) == "praise"
    assert persona(decided) == "brand_advocate"
