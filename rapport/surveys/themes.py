"""Themes of a free-text survey comment: what the customer is talking about.

Two sources, both visible to the organisation and neither invented by a model:

1. The organisation's own inbox tags (``inbox.Tag``): a tag whose name appears in
   the comment as a word or phrase ("delivery", "card machine") is a theme.
2. A small keyphrase lexicon of the service topics that survey comments are
   mostly about (below). A theme is reported when one of its word stems starts
   a word of the comment, so "waited", "waiting" and "wait" all count.

Matching is case-insensitive on letters and digits only; each theme is
reported once, in the order of the lexicon then the tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Theme -> word stems. Kept short on purpose: a stem here must rarely mean
# anything else in a comment about service.
LEXICON: dict[str, tuple[str, ...]] = {
    "delivery": ("deliver", "courier", "shipping", "shipped", "parcel", "postage", "dispatch"),
    "waiting time": ("wait", "slow", "took ages", "hours", "days to", "quick", "fast", "prompt"),
    "staff": ("staff", "agent", "barista", "helpful", "rude", "friendly", "polite", "attitude"),
    "price": ("price", "expensive", "overpriced", "cheap", "cost", "value for money"),
    "refund": ("refund", "money back", "reimburs", "charged twice", "double charge"),
    "product quality": ("quality", "broken", "faulty", "cracked", "stopped working", "defect"),
    "communication": ("reply", "replied", "respon", "answer", "update", "kept me informed"),
    "website and app": (
        "website",
        "the app",
        "mobile app",
        "online",
        "checkout",
        "login",
        "log in",
    ),
}

_WORD = re.compile(r"[^\w]+", re.UNICODE)


def _normalise(text: str) -> str:
    return " " + _WORD.sub(" ", text.lower()).strip() + " "


def themes_of(text: str, tags: Iterable[str] = ()) -> list[str]:
    """Return the themes a comment mentions, from the lexicon and the given tag names."""
    if not text.strip():
        return []
    haystack = _normalise(text)
    found: list[str] = []
    for theme, stems in LEXICON.items():
        if any(f" {_normalise(stem).strip()}" in haystack for stem in stems):
            found.append(theme)
    for tag in tags:
        name = _normalise(tag).strip()
        if len(name) < 3 or name in found:
            continue
        # Whole words for tags, allowing a plural "s".
        if re.search(rf" {re.escape(name)}s? ", haystack):
            found.append(tag.strip().lower())
    return found[:10]
