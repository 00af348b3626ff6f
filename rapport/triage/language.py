"""Identify the language of each message (ISO 639-1 code, "und" when unknown).

Three steps, cheapest first:

1. Script: letters are counted per Unicode script over the batch with numpy.
   No letters at all (empty, emoji only, numbers) -> "und". A script used by
   one main language decides it (Greek -> el, Hangul -> ko, kana -> ja, Han
   without kana -> zh, Hebrew -> he, Thai -> th, ...).
2. English: for Latin-script messages, the share of word tokens that are among
   the 5,000 most frequent words of the English training tweets (stored in
   ``models/language.npz``, learnt at training time). At least half known words
   (numbers aside) and no *marker word* of another language -> "en" (a marker
   word does not count in a longer message, over ``SHORT_WORDS`` words, whose
   share is at least ``CLEAR_ENGLISH_SHARE``).
   Marker words (``MARKER_WORDS``) are frequent function words and greetings of
   Spanish, French, German, Italian, Portuguese and Dutch that are not also
   common English words ("hola", "pedido", "merci", "ich", "grazie", "não"...).
   They exist because a short Spanish message is often made of words that
   also occur in English tweets ("mi", "no", "ha"), so the English share alone
   would call "hola, mi pedido no ha llegado" English. A marker sends the
   message to step 3 (and, in a short message, narrows the candidates there);
   the statistical identifier still makes the call.
3. Otherwise (other Latin-script languages, Cyrillic, Arabic, Devanagari, and
   Latin messages with a marker word) the message goes to ``py3langid`` (a
   naive-Bayes identifier over 97 languages whose model ships inside its
   wheel), loaded once, on first need. Short Latin-script messages
   (``SHORT_WORDS`` words or fewer) give the ``SHORT_TEXT_LANGUAGES`` (the
   languages a customer-service inbox mostly sees) a prior bonus of
   ``SHORT_TEXT_PRIOR`` nats: with three words there is too little evidence to
   choose among 60 languages, and the prior that a short message is Spanish
   rather than Galician is what a person would assume too.
   When a short message holds marker words, only the languages with the most
   of them (and English, if step 2 found it mostly English) compete.
   Longer ones are scored over ``FALLBACK_LANGUAGES``. If py3langid is not
   installed, such messages get "und" (or "en" when step 2 said English).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rapport.triage.text import BUCKET_BITS, WORD_CLASS, Batch

log = logging.getLogger(__name__)

# (first code point, last code point, script), sorted; anything else is "other".
_RANGES = (
    (0x0041, 0x005A, "latin"),
    (0x0061, 0x007A, "latin"),
    (0x00C0, 0x024F, "latin"),
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bn"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0A80, 0x0AFF, "gu"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0C00, 0x0C7F, "te"),
    (0x0C80, 0x0CFF, "kn"),
    (0x0D00, 0x0D7F, "ml"),
    (0x0D80, 0x0DFF, "si"),
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1000, 0x109F, "my"),
    (0x10A0, 0x10FF, "ka"),
    (0x1100, 0x11FF, "ko"),
    (0x1200, 0x137F, "am"),
    (0x1780, 0x17FF, "km"),
    (0x1E00, 0x1EFF, "latin"),
    (0x3040, 0x30FF, "ja"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xAC00, 0xD7AF, "ko"),
    (0xF900, 0xFAFF, "han"),
)
_SCRIPTS = ("other", *sorted({r[2] for r in _RANGES}))
_LATIN = _SCRIPTS.index("latin")
_FALLBACK_SCRIPTS = {"latin", "cyrillic", "arabic", "devanagari", "other"}
MIN_ENGLISH_SHARE = 0.5
CLEAR_ENGLISH_SHARE = 0.8
SHORT_WORDS = 8
SHORT_TEXT_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl")
# Log-prior (nats) added to those languages for short texts: enough to win a near
# tie ("el pedido": Galician or Spanish), not to overrule clear evidence of
# another language ("tack så mycket" stays Swedish, "Dziękuję bardzo" Polish).
SHORT_TEXT_PRIOR = 8.0
_SHORT_SET = frozenset(SHORT_TEXT_LANGUAGES)
# Frequent words of each language that are rare in English text (see step 2).
# Deliberately left out: words that are also common English or English slang
# ("no", "me", "die", "son", "come", "per", "sin", "also", "mon", "com", "hay",
# "todo", "favor", "nada", "ya", "dank", "mit").
MARKER_WORDS: dict[str, tuple[str, ...]] = {
    "es": (
        "hola", "gracias", "mi", "pedido", "por", "para", "qué", "que", "el", "los", "las", "del",
        "una", "muy", "pero", "está", "están", "estoy", "tengo", "llegado", "ayuda", "buenos",
        "buenas", "días", "porque", "cuándo", "cuando", "dónde", "donde", "también",
        "todos", "usted", "ustedes", "nuestro", "tienda", "ningún",
        "mucho", "quiero", "puedo", "necesito", "compra", "cuenta", "aún", "todavía",
    ),
    "fr": (
        "bonjour", "merci", "je", "j'ai", "est", "les", "des", "une", "pas", "mais", "avec",
        "pour", "mes", "vous", "nous", "très", "commande", "c'est", "n'est", "oui",
        "qui", "dans", "beaucoup", "rien", "bonsoir", "toujours", "reçu", "je suis", "s'il",
        "votre", "vos", "aujourd'hui", "être", "avez", "j'aimerais", "où",
    ),
    "de": (
        "hallo", "danke", "ich", "nicht", "ist", "und", "der", "das", "meine", "mein",
        "bitte", "wir", "auch", "kein", "keine", "noch", "schon", "bestellung", "guten", "sehr",
        "für", "warum", "wann", "eine", "habe", "schön", "ihr", "ihre", "heute", "immer",
        "wurde", "leider", "gibt", "vielen", "geht", "nichts",
    ),
    "it": (
        "ciao", "grazie", "mi", "il", "della", "sono", "che", "mio", "mia", "ordine",
        "buongiorno", "perché", "anche", "molto", "questo", "questa", "ancora", "sempre", "è",
        "gli", "dei", "delle", "mille", "arrivato", "vorrei", "dov'è", "buonasera", "niente",
        "tutto",
    ),
    "pt": (
        "olá", "obrigado", "obrigada", "não", "meu", "minha", "você", "vocês", "pedido",
        "muito", "até", "ainda", "também", "cadê", "pela", "pelo", "uma", "bom",
        "seu", "sua", "chegou", "ajuda", "quero", "preciso", "tudo", "está", "boa",
    ),
    "nl": (
        "hallo", "bedankt", "niet", "het", "een", "ik", "mijn", "maar", "nog", "ook",
        "zijn", "bestelling", "jullie", "heb", "wij", "goedemorgen", "alsjeblieft", "waarom",
        "geen", "nooit", "vandaag",
    ),
}  # fmt: skip
# The fallback identifier chooses among these ISO 639-1 codes only (the most used
# languages online); its full model also has rare ISO 639-3 codes.
FALLBACK_LANGUAGES = (
    "af",
    "ar",
    "az",
    "bg",
    "bn",
    "ca",
    "cs",
    "cy",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "eu",
    "fa",
    "fi",
    "fr",
    "ga",
    "gl",
    "he",
    "hi",
    "hr",
    "hu",
    "id",
    "is",
    "it",
    "ja",
    "ka",
    "kk",
    "ko",
    "lt",
    "lv",
    "mk",
    "mr",
    "ms",
    "mt",
    "nb",
    "ne",
    "nl",
    "nn",
    "pl",
    "pt",
    "ro",
    "ru",
    "sk",
    "sl",
    "sq",
    "sr",
    "sv",
    "sw",
    "th",
    "tl",
    "tr",
    "uk",
    "ur",
    "uz",
    "vi",
    "zh",
)


def _script_of(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """Return the index into ``_SCRIPTS`` of each code point."""
    starts = np.array([r[0] for r in _RANGES], dtype=np.int64)
    ends = np.array([r[1] for r in _RANGES], dtype=np.int64)
    ids = np.array([_SCRIPTS.index(r[2]) for r in _RANGES], dtype=np.int64)
    c = codes.astype(np.int64)
    slot = np.searchsorted(starts, c, side="right") - 1
    inside = (slot >= 0) & (c <= ends[np.maximum(slot, 0)])
    return np.where(inside, ids[np.maximum(slot, 0)], 0)


class LanguageIdentifier:
    """Identify languages of a featurised batch (see the module docstring)."""

    def __init__(self, english_words: npt.NDArray[np.int64]) -> None:
        self.english_words = np.sort(english_words.astype(np.int64))
        self.english_table = np.zeros((1 << BUCKET_BITS) + 1, dtype=bool)
        self.english_table[self.english_words] = True
        self._fallback: Any = None
        self._fallback_missing = False

    @classmethod
    def load(cls, path: Path) -> LanguageIdentifier:
        """Read ``language.npz``; an identifier without English words if it is absent."""
        if not path.exists():
            return cls(np.zeros(0, dtype=np.int64))
        with np.load(path) as arrays:
            return cls(arrays["english_words"])

    def identify(self, batch: Batch, texts: list[str]) -> list[str]:
        """Return one language code per document of ``batch`` (``texts`` are the originals)."""
        n = batch.n_docs
        codes = batch.codes
        doc_of = batch.doc_of
        letter = (
            (batch.classes == WORD_CLASS) & (codes > 0x40) & ~((codes >= 0x30) & (codes <= 0x39))
        )
        # ASCII letters are Latin; only the rest needs a script lookup.
        wide = letter & (codes >= 0x80)
        width = len(_SCRIPTS)
        flat = np.zeros(n * width, dtype=np.int64)
        flat[_LATIN::width] = np.bincount(doc_of[letter & ~wide], minlength=n)
        if wide.any():
            flat += np.bincount(doc_of[wide] * width + _script_of(codes[wide]), minlength=n * width)
        per_doc = flat.reshape(n, width)
        has_letters = per_doc.sum(axis=1) > 0
        # Latin letters outnumber the rest: compare the main script with "latin".
        main = np.argmax(per_doc, axis=1)
        share = self._english_share(batch)
        markers = self._marker_counts(batch)
        # A marker word only casts doubt on a short message or a mostly-but-not-clearly
        # English one: forty English words with "Los Angeles" in them stay English.
        doubt = (markers.sum(axis=1) > 0) & (
            (batch.n_words <= SHORT_WORDS) | (share < CLEAR_ENGLISH_SHARE)
        )
        english = (share >= MIN_ENGLISH_SHARE) & ~doubt
        result: list[str] = []
        pending: list[int] = []
        latin: set[int] = set()
        english_list = english.tolist()
        for i in range(n):
            if not has_letters[i]:
                result.append("und")
                continue
            script = _SCRIPTS[int(main[i])]
            if script == "han" and per_doc[i, _SCRIPTS.index("ja")] > 0:
                script = "ja"
            if script == "latin" and english_list[i]:
                result.append("en")
            elif script in _FALLBACK_SCRIPTS:
                # Latin text that step 2 found mostly English keeps "en" if no identifier.
                mostly_english = script == "latin" and share[i] >= MIN_ENGLISH_SHARE
                result.append("en" if mostly_english else "und")
                pending.append(i)
                if script == "latin":
                    latin.add(i)
            else:
                result.append("zh" if script == "han" else script)
        words = batch.n_words.tolist()
        for i in pending:
            short = i in latin and words[i] <= SHORT_WORDS
            candidates: tuple[str, ...] = ()
            if short and markers[i].any():
                # The languages whose marker words the message holds most often (and
                # English when most of its words are English) compete; the rest are out.
                top = markers[i] == markers[i].max()
                candidates = tuple(code for code, on in zip(_MARKED, top, strict=True) if on)
                if share[i] >= MIN_ENGLISH_SHARE:
                    candidates += ("en",)
            found = self._fallback_language(texts[i], short=short, candidates=candidates)
            result[i] = found or result[i]
        return result

    def _marker_counts(self, batch: Batch) -> npt.NDArray[np.int64]:
        """Return, per document and language of ``MARKER_WORDS``, how many marker words it holds."""
        n, width = batch.n_docs, len(_MARKED)
        counts = np.zeros((n, width), dtype=np.int64)
        if not len(batch.word_bucket):
            return counts
        bits = _marker_table()[batch.word_bucket]
        hit = np.flatnonzero(bits)
        if not len(hit):
            return counts
        docs, bits = batch.word_doc[hit], bits[hit]
        for j in range(width):
            on = (bits >> j) & 1 == 1
            counts[:, j] = np.bincount(docs[on], minlength=n)
        return counts

    def _english_share(self, batch: Batch) -> npt.NDArray[np.float64]:
        """Return, per document, the share of its word tokens that are English words.

        Word bigrams never match (their buckets are not in the word list, bar rare
        collisions), so the hits are English unigrams.
        """
        n = batch.n_docs
        if not len(self.english_words) or not len(batch.word_bucket):
            return np.zeros(n)
        known = self.english_table[batch.word_bucket]
        hits = np.bincount(batch.word_doc, weights=known, minlength=n)
        share = np.zeros(n)
        np.divide(hits, batch.n_words, out=share, where=batch.n_words > 0)
        return share

    def _load_fallback(self) -> None:
        try:
            from py3langid.langid import MODEL_FILE
            from py3langid.langid import LanguageIdentifier as Identifier

            identifier = Identifier.from_model_file(MODEL_FILE)
            known = set(identifier.nb_classes)
            identifier.set_languages([code for code in FALLBACK_LANGUAGES if code in known])
            self._fallback = identifier
        except Exception:  # pragma: no cover - depends on the environment
            log.warning("py3langid is not available; non-English text gets 'und'")
            self._fallback_missing = True

    def _fallback_language(
        self, text: str, *, short: bool = False, candidates: tuple[str, ...] = ()
    ) -> str | None:
        """Return py3langid's language for ``text``, or None when it is not available.

        ``short`` adds ``SHORT_TEXT_PRIOR`` to the log-probability of the
        ``SHORT_TEXT_LANGUAGES``; ``candidates`` (if any) are the only languages
        allowed.
        """
        if self._fallback is None and not self._fallback_missing:
            self._load_fallback()
        if self._fallback is None:
            return None
        try:
            if not short and not candidates:
                return str(self._fallback.classify(text[:300])[0])
            allowed = set(candidates)
            best, best_score = None, -np.inf
            for code, score in self._fallback.rank(text[:300]):
                if allowed and code not in allowed:
                    continue
                if short and code in _SHORT_SET:
                    score += SHORT_TEXT_PRIOR
                if score > best_score:
                    best, best_score = str(code), score
            return best
        except Exception:  # pragma: no cover - defensive: never fail a message
            return None


_MARKED = tuple(MARKER_WORDS)
_markers: npt.NDArray[np.uint8] | None = None


def _marker_table() -> npt.NDArray[np.uint8]:
    """Return (once) a table from word bucket to a bit mask of the languages of
    ``MARKER_WORDS`` it is a marker of (bit j: ``_MARKED[j]``)."""
    global _markers
    if _markers is None:
        from rapport.triage.text import featurise

        table = np.zeros((1 << BUCKET_BITS) + 1, dtype=np.uint8)
        for j, code in enumerate(_MARKED):
            for word in MARKER_WORDS[code]:
                batch = featurise([word])
                # One token: its unigram bucket; two tokens ("je suis"): the bigram's.
                table[batch.word_bucket[1 if len(batch.word_bucket) > 1 else 0]] |= 1 << j
        _markers = table
    return _markers
