"""Custom intents learnt from a small CSV of text,intent."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.triage import Engine
from rapport.triage.engine import MODELS_DIR, read_intent_csv

ROWS = [
    ("my card has not arrived yet", "card_arrival"),
    ("still waiting for my new card", "card_arrival"),
    ("when will my card be delivered", "card_arrival"),
    ("the card you sent never came", "card_arrival"),
    ("how long does card delivery take", "card_arrival"),
    ("I want my money back for this order", "refund"),
    ("please refund the payment", "refund"),
    ("how do I get a refund", "refund"),
    ("refund my purchase now", "refund"),
    ("can I return this and get my money back", "refund"),
    ("I forgot my password", "password"),
    ("reset my password please", "password"),
    ("cannot log in, password not working", "password"),
    ("how to change my password", "password"),
    ("locked out of my account after wrong password", "password"),
]


@pytest.fixture
def intent_csv(tmp_path: Path) -> Path:
    path = tmp_path / "intents.csv"
    lines = ["text,intent"] + [f'"{text}",{intent}' for text, intent in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_no_intent_model_means_no_intent(engine: Engine) -> None:
    result = engine.classify("my card has not arrived")

    assert result.intent is None
    assert result.intent_confidence is None


def test_intents_learnt_from_a_csv_route_new_messages(intent_csv: Path, tmp_path: Path) -> None:
    engine = Engine.load(MODELS_DIR)

    engine.train_intents_csv(intent_csv, "tiny", save_to=tmp_path / "tiny")
    card, refund, password = engine.classify_batch(
        ["card not arrived", "I would like a refund", "forgot password again"]
    )

    assert card.intent == "card_arrival"
    assert refund.intent == "refund"
    assert password.intent == "password"
    assert card.intent_confidence is not None and 0.0 < card.intent_confidence <= 1.0


def test_saved_intents_load_into_a_new_engine(intent_csv: Path, tmp_path: Path) -> None:
    trainer = Engine.load(MODELS_DIR)
    trainer.train_intents_csv(intent_csv, "tiny", save_to=tmp_path / "tiny")

    loaded = Engine.load(MODELS_DIR, intents=tmp_path / "tiny")

    assert loaded.classify("card not arrived").intent == "card_arrival"
    assert loaded.classify("card not arrived") == trainer.classify("card not arrived")


def test_training_from_rows_without_a_header(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text(
        "where is my new card,card\nmy card has not arrived,card\n"
        "how do I reset my password,password\nI forgot my password,password\n"
    )

    rows = read_intent_csv(path)
    engine = Engine.load(MODELS_DIR)
    engine.train_intents("plain", rows)

    assert rows[0] == ("where is my new card", "card")
    assert engine.classify("my card still has not arrived").intent == "card"


def test_only_requests_and_complaints_get_an_intent(intent_csv: Path) -> None:
    engine = Engine.load(MODELS_DIR)
    engine.train_intents_csv(intent_csv, "tiny")

    chat = engine.classify("what a lovely sunny afternoon in the park with friends")

    assert chat.kind not in ("question", "complaint")
    assert chat.intent is None
    assert chat.intent_confidence is None


def test_training_needs_two_intents() -> None:
    engine = Engine.load(MODELS_DIR)

    with pytest.raises(ValueError):
        engine.train_intents("one", [("a", "x"), ("b", "x")])
