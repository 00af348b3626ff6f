"""Normalise message text and turn a batch of it into hashed n-gram features.

The whole batch is featurised at once: the normalised texts are joined into one
string, read as a UTF-32 code-point array, and every n-gram is hashed with a
position-independent polynomial hash computed from prefix sums, so there is no
Python loop per n-gram. Two blocks of features come out:

- word tokens and word bigrams (tokens are runs of non-space characters after
  punctuation and emoji have been split off),
- character n-grams of lengths ``CHAR_ORDERS`` over the normalised text
  (spaces included, so word boundaries are visible).

Each n-gram becomes a bucket in ``[0, 2**BUCKET_BITS)``; a model maps buckets to
its own rows with a lookup table (``FeatureTable``), so collisions only matter
inside the vocabulary a model kept.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BUCKET_BITS = 20
CHAR_ORDERS = (3, 4)
# Longer texts are cut before featurisation: a 100 KB e-mail says what it is in
# its first few thousand characters, and the cut bounds the cost of one message.
MAX_CHARS = 2000

_P = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_Q = pow(_P, -1, 2**64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_WORD_SALT = np.uint64(0x5BD1E9955BD1E995)
_SHIFT = np.uint64(64 - BUCKET_BITS)
# The bucket of masked character n-grams (crossing a document boundary): models map
# it, like every bucket outside their vocabulary, to an all-zero row.
NO_BUCKET = 1 << BUCKET_BITS
_SEP = "\x02"

IntArray = npt.NDArray[np.int64]

_URL_RE = re.compile(r"https?://[^\s\x02]+|www\.[^\s\x02]+|pic\.twitter\.com/[^\s\x02]*")
_MENTION_RE = re.compile(r"@\w+")

# Character classes used by the tokeniser.
_SPACE, _WORD, _PUNCT, _BOUNDARY = 0, 1, 2, 3
WORD_CLASS = _WORD
_TABLE_SIZE = 0x30000
_classes: npt.NDArray[np.uint8] | None = None


def char_classes() -> npt.NDArray[np.uint8]:
    """Return (once) the class of every code point below ``_TABLE_SIZE``.

    Letters, digits and combining marks are word characters (so Devanagari or
    Thai words stay whole); separators and control/format characters (including
    the zero-width joiner and variation selectors inside emoji) are spaces;
    everything else (punctuation, symbols, emoji) is a one-character token.
    """
    global _classes
    if _classes is None:
        cats = [unicodedata.category(chr(i))[0] for i in range(_TABLE_SIZE)]
        table = np.full(_TABLE_SIZE, _PUNCT, dtype=np.uint8)
        lookup = {"L": _WORD, "N": _WORD, "M": _WORD, "Z": _SPACE, "C": _SPACE}
        for cat, value in lookup.items():
            table[np.array([c == cat for c in cats])] = value
        table[ord("'")] = _WORD
        table[ord("_")] = _WORD
        for ch in "\t\n\r\x0b\x0c ":
            table[ord(ch)] = _SPACE
        table[0xFE0F] = _SPACE
        table[ord(_SEP)] = _BOUNDARY
        _classes = table
    return _classes


def clean(text: object) -> str:
    """Return ``text`` as a valid, bounded string (never raises).

    Lone surrogates (for example "\\ud800" from broken JSON) are replaced, non-text
    input becomes its ``str``, and the text is cut to ``MAX_CHARS``.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[:MAX_CHARS]
    if text.isascii():
        return text.replace(_SEP, " ") if _SEP in text else text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace(_SEP, " ")


def normalise_codes(
    texts: list[str],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Return the normalised batch as one code-point array (documents split by 0x02),
    the character class of each code point, and each document's longest character
    run (6 or 20 when at least that long, else 0; see ``_long_runs``).

    Lower-case; URLs -> ``http``; user mentions -> ``@user``; a ``xallcaps`` token
    for shouted messages; digits -> 0; runs of 4+ identical characters cut to 3;
    runs of spaces cut to one. Each document is padded by one space on each side.
    Two regular expressions run over the joined batch and the rest is numpy, so
    nothing loops per message except the ``xallcaps`` check.
    """
    marked = [t + " xallcaps" if len(t) > 6 and t.isupper() else t for t in texts]
    big = " " + " \x02 ".join(marked).lower() + " "
    big = _URL_RE.sub(" http ", big)
    big = _MENTION_RE.sub(" @user ", big)
    codes = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32)
    table = char_classes()
    cls = np.where(codes < _TABLE_SIZE, table[np.minimum(codes, _TABLE_SIZE - 1)], _WORD)
    codes = np.where(cls == _SPACE, np.uint32(32), codes)
    digit = (codes >= 0x31) & (codes <= 0x39)
    codes = np.where(digit, np.uint32(0x30), codes)
    same = np.zeros(len(codes), dtype=bool)
    same[3:] = (
        (codes[3:] == codes[2:-1]) & (codes[2:-1] == codes[1:-2]) & (codes[1:-2] == codes[:-3])
    )
    runs = _long_runs(codes, same, len(texts))
    same[1:] |= (codes[1:] == 32) & (codes[:-1] == 32)
    keep = ~same
    return codes[keep], cls[keep].astype(np.uint8), runs


def _long_runs(
    codes: npt.NDArray[np.uint32], same: npt.NDArray[np.bool_], n_docs: int
) -> npt.NDArray[np.int64]:
    """Return, per document, its longest run of one visible character, capped at 20.

    ``same`` marks the 4th and later characters of runs, so k consecutive marks
    mean a run of k + 3; only runs of 6+ are measured.
    """
    visible = same & (codes != 32)
    marks = np.flatnonzero(visible)
    longest = np.zeros(n_docs, dtype=np.int64)
    if not len(marks):
        return longest
    total = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(visible, out=total[1:])
    separators = np.flatnonzero(codes == 2)
    for length in (6, 20):
        span = length - 3
        ends = marks[marks >= span - 1]
        hit = ends[total[ends + 1] - total[ends + 1 - span] == span]
        docs = np.searchsorted(separators, hit)
        longest[docs] = length
    return longest


class _Powers:
    """Cache of P**k and Q**k modulo 2**64, grown on demand."""

    def __init__(self) -> None:
        self.p: npt.NDArray[np.uint64] = np.ones(1, dtype=np.uint64)
        self.q: npt.NDArray[np.uint64] = np.ones(1, dtype=np.uint64)

    @staticmethod
    def _powers(base: int, size: int) -> npt.NDArray[np.uint64]:
        """Return base**0 .. base**(size-1) modulo 2**64."""
        out = np.ones(size, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.cumprod(np.full(size - 1, base, dtype=np.uint64), out=out[1:])
        return out

    def ensure(self, n: int) -> None:
        if len(self.p) > n:
            return
        size = max(n + 1, 2 * len(self.p), 1 << 16)
        self.p = self._powers(_P, size)
        self.q = self._powers(_Q, size)


_POWERS = _Powers()


@dataclass(frozen=True, eq=False)
class Batch:
    """Hashed features of a batch: for each block, bucket ids and document ids.

    Both blocks are in document-major order (``word_doc`` is non-decreasing,
    ``char_indptr`` is a CSR row pointer), so a model builds its CSR matrix
    without sorting. ``word_start``/``word_end`` are
    the code-point spans of word features in ``codes`` (for explanations).
    """

    n_docs: int
    word_bucket: npt.NDArray[np.int32]
    word_doc: IntArray
    char_bucket: npt.NDArray[np.int32]
    char_indptr: IntArray  # CSR row pointer of the character block (NO_BUCKET = masked)
    codes: npt.NDArray[np.uint32]
    classes: npt.NDArray[np.uint8]  # character class of each code point
    doc_of: IntArray  # document index of each code point
    word_start: IntArray
    word_end: IntArray
    n_words: IntArray  # word tokens (not numbers, punctuation or emoji) per document
    longest_run: IntArray  # per document: 20, 6 or 0 (longest run of one character)

    @property
    def char_doc(self) -> IntArray:
        """Return the document index of each character n-gram."""
        return np.repeat(np.arange(self.n_docs, dtype=np.int64), np.diff(self.char_indptr))

    def word_indptr(self) -> IntArray:
        """Return the CSR row pointer of the word block."""
        return np.searchsorted(self.word_doc, np.arange(self.n_docs + 1)).astype(np.int64)

    def word_text(self, index: int) -> str:
        """Return the text of word feature ``index`` (for explanations)."""
        return self.text[int(self.word_start[index]) : int(self.word_end[index])]

    def select(self, rows: IntArray) -> Batch:
        """Return the sub-batch of documents ``rows`` (sorted), for models that score
        only some documents. Explanations (codes, spans) are not carried over."""
        keep = np.zeros(self.n_docs, dtype=bool)
        keep[rows] = True
        remap = np.cumsum(keep) - 1
        word = keep[self.word_doc]
        sizes = np.diff(self.char_indptr)[rows]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        offsets = np.repeat(self.char_indptr[rows] - indptr[:-1], sizes)
        chars = offsets + np.arange(indptr[-1], dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        return Batch(
            n_docs=len(rows),
            word_bucket=self.word_bucket[word],
            word_doc=remap[self.word_doc[word]],
            char_bucket=self.char_bucket[chars],
            char_indptr=indptr,
            codes=self.codes[:0],
            classes=self.classes[:0],
            doc_of=empty,
            word_start=empty,
            word_end=empty,
            n_words=self.n_words[rows],
            longest_run=self.longest_run[rows],
        )

    @functools.cached_property
    def text(self) -> str:
        """Return the normalised batch as one string (documents split by 0x02)."""
        return self.codes.tobytes().decode("utf-32-le")


def _bucket(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.int32]:
    with np.errstate(over="ignore"):
        return ((h * _MIX) >> _SHIFT).astype(np.int32)


def featurise(texts: list[str]) -> Batch:
    """Normalise a batch of cleaned texts and hash their word and character n-grams."""
    n_docs = len(texts)
    codes32, cls, runs = normalise_codes(texts)
    codes = codes32.astype(np.uint64)
    length = len(codes)
    _POWERS.ensure(length + 2)
    with np.errstate(over="ignore"):
        prefix = np.zeros(length + 1, dtype=np.uint64)
        np.cumsum(codes * _POWERS.q[1 : length + 1], out=prefix[1:])
    is_sep = cls == _BOUNDARY
    seps = np.zeros(length + 1, dtype=np.int64)
    np.cumsum(is_sep, out=seps[1:])
    doc_of = seps[:-1]  # document index of each position

    def span_hash(start: IntArray, end: IntArray) -> npt.NDArray[np.uint64]:
        with np.errstate(over="ignore"):
            return (prefix[end] - prefix[start]) * _POWERS.p[start + 1]

    # Character n-grams, position-major then order, so document-major overall. Each
    # order is hashed over contiguous slices (no gathers); n-grams that would cross
    # a document boundary are masked out. The orders are consecutive, so the number
    # of valid n-grams starting at a position is clip(room - (shortest - 1), 0, K).
    sep_positions = np.flatnonzero(is_sep)
    bounds = np.append(sep_positions, length)
    segment_starts = np.concatenate([[0], sep_positions + 1])
    next_sep = np.repeat(bounds, bounds + 1 - segment_starts)[:length]
    room = next_sep - np.arange(length)  # characters left before the next boundary
    width = len(CHAR_ORDERS)
    hashes = np.zeros((length, width), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k, n in enumerate(CHAR_ORDERS):
            if length >= n:
                count = length - n + 1
                np.multiply(
                    prefix[n:] - prefix[:count], _POWERS.p[1 : count + 1], out=hashes[:count, k]
                )
    buckets = _bucket(hashes)
    for k, n in enumerate(CHAR_ORDERS):
        column = buckets[:, k]
        column[room < n] = NO_BUCKET
    char_bucket = buckets.ravel()
    # Every position holds ``width`` entries (masked ones point at NO_BUCKET).
    char_indptr = np.append(segment_starts, length)[: n_docs + 1].astype(np.int64) * width
    char_indptr[-1] = length * width

    # Tokens: maximal runs of word characters, and each punctuation/emoji character.
    is_word = cls == _WORD
    is_punct = cls == _PUNCT
    prev_word = np.zeros(length, dtype=bool)
    prev_word[1:] = is_word[:-1]
    tok_start = np.flatnonzero((is_word & ~prev_word) | is_punct)
    word_run_end = np.flatnonzero(~is_word[1:] & is_word[:-1]) + 1
    punct_tok = is_punct[tok_start]
    tok_end = tok_start + 1
    tok_end[~punct_tok] = word_run_end
    tok_doc = doc_of[tok_start]
    uni = span_hash(tok_start, tok_end)
    same = tok_doc[1:] == tok_doc[:-1]
    n_tok = len(tok_start)
    has_bi = np.zeros(n_tok, dtype=bool)
    has_bi[:-1] = same
    # Interleave each unigram with the bigram that starts at it (document-major).
    slots = 1 + has_bi.astype(np.int64)
    offsets = np.zeros(n_tok, dtype=np.int64)
    if n_tok:
        offsets[1:] = np.cumsum(slots)[:-1]
    total = int(slots.sum())
    word_start = np.empty(total, dtype=np.int64)
    word_end = np.empty(total, dtype=np.int64)
    word_doc = np.empty(total, dtype=np.int64)
    word_start[offsets] = tok_start
    word_end[offsets] = tok_end
    word_doc[offsets] = tok_doc
    bi_slot = offsets[has_bi] + 1
    word_start[bi_slot] = tok_start[has_bi]
    word_end[bi_slot] = tok_end[1:][same]
    word_doc[bi_slot] = tok_doc[has_bi]
    word_hash = span_hash(word_start, word_end)
    word_hash[offsets] = uni
    with np.errstate(over="ignore"):
        word_bucket = _bucket(word_hash ^ _WORD_SALT)
    return Batch(
        n_docs=n_docs,
        word_bucket=word_bucket,
        word_doc=word_doc,
        char_bucket=char_bucket,
        char_indptr=char_indptr,
        codes=codes32,
        classes=cls,
        doc_of=doc_of,
        word_start=word_start,
        word_end=word_end,
        longest_run=runs,
        n_words=np.bincount(
            tok_doc[~punct_tok & (codes32[tok_start] != ord("0"))], minlength=n_docs
        ).astype(np.int64),
    )
