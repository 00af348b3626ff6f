"""The engine's contract: fields, bad input, determinism, batches."""

from __future__ import annotations

import dataclasses

import pytest

from rapport.triage import (
    EMOTIONS,
    KINDS,
    PERSONAS,
    SENTIMENTS,
    URGENCIES,
    Engine,
    Triage,
    default_engine,
)


def assert_sensible(result: Triage) -> None:
    assert result.kind in KINDS
    assert result.persona in PERSONAS
    assert result.sentiment in SENTIMENTS
    assert result.emotion in EMOTIONS
    assert result.urgency in URGENCIES
    assert -1.0 <= result.sentiment_score <= 1.0
    for value in (
        result.offensive,
        result.hate,
        result.irony,
        result.complaint,
        result.question,
        result.spam,
        result.brand_risk,
        result.emotion_score,
    ):
        assert 0.0 <= value <= 1.0
    assert isinstance(result.language, str) and result.language
    assert isinstance(result.reasons, tuple) and result.reasons
    assert all(isinstance(r, str) and r for r in result.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "x" * 100_000,
        "word " * 20_000,
        "😀😀😀🔥🔥",
        "Hello Привет 你好 مرحبا שלום",
        "\ud800 broken surrogate \udfff",
        "\x00\x01\x02\x03 control characters",
        "!!!???...",
        "\n\n\t",
    ],
)
def test_bad_input_gives_a_sensible_triage(engine: Engine, text: str) -> None:
    assert_sensible(engine.classify(text))


def test_non_string_input_does_not_raise(engine: Engine) -> None:
    results = engine.classify_batch([None, 42, b"bytes"])  # type: ignore[list-item]

    assert len(results) == 3
    for result in results:
        assert_sensible(result)


def test_empty_and_emoji_only_are_other_and_undetermined(engine: Engine) -> None:
    empty, emoji = engine.classify_batch(["", "😀😀😀"])

    assert empty.kind == "other" and empty.language == "und"
    assert emoji.language == "und"
    assert empty.urgency == "low"


def test_same_text_same_result(engine: Engine) -> None:
    text = "@bank my card still hasn't arrived, this is the second time!"

    first = engine.classify(text)
    again = engine.classify(text)
    in_batch = engine.classify_batch(["something else entirely", text, "and more"])[1]

    assert first == again == in_batch


def test_batch_matches_single_messages(engine: Engine) -> None:
    texts = ["great service thanks", "where is my parcel", "you are useless", ""]

    assert engine.classify_batch(texts) == [engine.classify(t) for t in texts]


def test_batch_larger_than_a_chunk(engine: Engine) -> None:
    texts = [f"message number {i} about my order" for i in range(5000)]

    results = engine.classify_batch(texts)

    assert len(results) == 5000
    assert results[0] == engine.classify(texts[0])
    assert results[4999] == engine.classify(texts[4999])


def test_empty_batch(engine: Engine) -> None:
    assert engine.classify_batch([]) == []


def test_triage_is_frozen(engine: Engine) -> None:
    result = engine.classify("hello")

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.kind = "spam"  # type: ignore[misc]


def test_platform_and_reply_are_used(engine: Engine) -> None:
    text = "The food was cold and the staff ignored us for twenty minutes, never again."
    public = engine.classify(text, platform="twitter", is_reply=False)
    private = engine.classify(text, platform="email", is_reply=False)

    assert private.brand_risk < public.brand_risk


def test_reasons_name_the_risk_topics(engine: Engine) -> None:
    result = engine.classify(
        "@shop you refused my refund twice, my lawyer and the BBC will hear about this",
        platform="twitter",
    )

    assert "mentions legal action" in result.reasons
    assert result.brand_risk >= 0.5
    assert result.urgency in ("high", "critical")


def test_per_message_platforms_must_match_the_batch(engine: Engine) -> None:
    with pytest.raises(ValueError):
        engine.classify_batch(["a", "b"], platform=["email"])


def test_as_dict_is_json_ready(engine: Engine) -> None:
    import json

    data = engine.classify("thanks!").as_dict()

    assert json.loads(json.dumps(data))["kind"] in KINDS
    assert "toxicity" in data


def test_default_engine_is_loaded_once() -> None:
    assert default_engine() is default_engine()


def test_reasons_say_why_a_rule_decided(engine: Engine) -> None:
    confused, rated, photo = engine.classify_batch(
        [
            "Is this the number for the bank??",
            "★★☆☆☆ the flat white was lukewarm and the staff ignored us",
            "Here's my morning pour-over with your beans 📸",
        ]
    )

    assert confused.persona == "misguided_customer"
    assert "sounds unsure or working from a wrong assumption" in confused.reasons
    assert rated.kind == "review" and rated.reasons[0] == "gives a rating"
    assert rated.persona in ("unhappy_customer", "angry_customer")
    assert photo.kind == "ugc" and photo.reasons[0] == "shares a photo or video"
