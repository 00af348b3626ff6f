"""Language identification of short texts across English and five European languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.triage import Engine
from rapport.triage.language import MARKER_WORDS, LanguageIdentifier
from rapport.triage.text import clean, featurise

SHORT_TEXTS = [
    ("en", "where is my order?"),
    ("en", "thanks a lot!"),
    ("en", "love it"),
    ("en", "my parcel never came, can you check?"),
    ("en", "see you at the Des Moines store"),
    ("es", "hola, mi pedido no ha llegado"),
    ("es", "gracias por todo!"),
    ("es", "buenos días"),
    ("es", "el pedido"),
    ("es", "hoy no puedo ir a la tienda"),
    ("fr", "merci beaucoup"),
    ("fr", "bonjour, ma commande n'est pas arrivée"),
    ("fr", "je n'ai rien reçu"),
    ("de", "danke schön!"),
    ("de", "wo ist meine Bestellung?"),
    ("de", "mein Paket ist nicht angekommen"),
    ("it", "grazie mille"),
    ("it", "il mio ordine non è arrivato"),
    ("it", "dov'è il mio ordine?"),
    ("pt", "obrigado pela ajuda"),
    ("pt", "meu pedido não chegou"),
    ("pt", "cadê meu pedido?"),
    ("nl", "ik heb mijn bestelling niet ontvangen"),
]


@pytest.mark.parametrize(("expected", "text"), SHORT_TEXTS)
def test_short_text_language(engine: Engine, expected: str, text: str) -> None:
    assert engine.classify(text).language == expected


def test_batch_and_single_agree(engine: Engine) -> None:
    texts = [t for _, t in SHORT_TEXTS]
    assert [r.language for r in engine.classify_batch(texts)] == [
        engine.classify(t).language for t in texts
    ]


def test_short_text_prior_does_not_overrule_clear_evidence(engine: Engine) -> None:
    swedish, polish, russian = engine.classify_batch(
        ["tack så mycket", "Dziękuję bardzo", "Привет, где мой заказ?"]
    )

    assert swedish.language == "sv"
    assert polish.language == "pl"
    assert russian.language == "ru"


def test_marker_words_are_counted_per_language() -> None:
    identifier = LanguageIdentifier.load(Path("/nonexistent"))
    batch = featurise([clean(t) for t in ["hola, gracias", "merci", "where is it", ""]])

    counts = identifier._marker_counts(batch)
    languages = list(MARKER_WORDS)

    assert counts[0, languages.index("es")] == 2
    assert counts[1, languages.index("fr")] == 1
    assert counts[2].sum() == 0 and counts[3].sum() == 0


def test_marker_words_are_not_common_english_words(engine: Engine) -> None:
    """Only a few marker words are among the 5,000 most frequent words of the English
    training tweets (place names: Los Angeles, Las Vegas, El Paso...); those send an
    English message to the statistical identifier, which keeps it English."""
    english = engine.language.english_table
    overlap = {
        word
        for words in MARKER_WORDS.values()
        for word in words
        if " " not in word and english[featurise([word]).word_bucket[0]]
    }
    assert overlap <= {"mi", "el", "los", "las", "del", "est", "der", "il"}
    assert engine.classify("Flying to Los Angeles tomorrow, so excited").language == "en"


def test_english_messages_rarely_reach_the_fallback(engine: Engine) -> None:
    texts = [
        "my order has not arrived yet",
        "the flat white was lovely today",
        "can I change my delivery address?",
        "worst service ever, I want a refund",
    ]
    batch = featurise([clean(t) for t in texts])

    assert engine.language._marker_counts(batch).sum() == 0
    assert {r.language for r in engine.classify_batch(texts)} == {"en"}
