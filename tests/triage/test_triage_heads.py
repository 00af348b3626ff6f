"""Each trained head on small fixed examples."""

from __future__ import annotations

from rapport.triage import Engine


def test_complaint_is_a_complaint(engine: Engine) -> None:
    result = engine.classify(
        "@AcmeAir you lost my bag for the third time and nobody answers the phone. Awful."
    )

    assert result.complaint >= 0.5
    assert result.kind == "complaint"
    assert result.sentiment == "negative"


def test_praise_is_positive(engine: Engine) -> None:
    result = engine.classify("Thank you so much, the staff were amazing and I love my new phone!")

    assert result.sentiment == "positive"
    assert result.sentiment_score > 0.3
    assert result.kind == "praise"
    assert result.complaint < 0.5


def test_obvious_troll_is_abuse(engine: Engine) -> None:
    result = engine.classify("shut up you stupid fucking idiot, nobody cares about your crap")

    assert result.offensive >= 0.75
    assert result.kind == "abuse"
    assert result.persona == "troll"


def test_question_needs_no_question_mark(engine: Engine) -> None:
    result = engine.classify("how do I change the delivery address on my order")

    assert result.question >= 0.5
    assert result.kind == "question"


def test_emotion_anger_and_joy(engine: Engine) -> None:
    angry = engine.classify("I am so furious and angry right now, this is outrageous")
    happy = engine.classify("So happy today, what a wonderful day with friends, laughing a lot")

    assert angry.emotion == "anger"
    assert happy.emotion == "joy"


def test_hate_scores_hateful_text_higher(engine: Engine) -> None:
    hateful, neutral = engine.probabilities(
        [
            "send all these illegal immigrants back, they are invaders and rapists",
            "the new bridge opens to traffic next week after two years of work",
        ]
    )["hate"]

    assert hateful > 0.5 > neutral


def test_irony_scores_ironic_text_higher(engine: Engine) -> None:
    ironic, plain = engine.probabilities(
        [
            "oh great, another monday morning, just what I needed, love it",
            "the meeting is on monday at ten in room four",
        ]
    )["irony"]

    assert ironic > plain


def test_predict_uses_the_dataset_label_names(engine: Engine) -> None:
    texts = ["I love it", "you idiot"]

    assert set(engine.predict("sentiment", texts)) <= {"negative", "neutral", "positive"}
    assert set(engine.predict("offensive", texts)) <= {"not-offensive", "offensive"}
    assert set(engine.predict("hate", texts)) <= {"not-hate", "hate"}
    assert set(engine.predict("irony", texts)) <= {"non_irony", "irony"}
    assert set(engine.predict("emotion", texts)) <= {"anger", "joy", "optimism", "sadness"}
    assert set(engine.predict("complaint", texts)) <= {"complaint", "not_complaint"}


def test_language_of_english_and_other_scripts(engine: Engine) -> None:
    english, greek, japanese, empty = engine.classify_batch(
        ["my order has not arrived yet", "Καλημέρα σε όλους", "こんにちは、元気ですか", ""]
    )

    assert english.language == "en"
    assert greek.language == "el"
    assert japanese.language == "ja"
    assert empty.language == "und"
