"""Compliance checks on public text: personal details, spam patterns and banned words.

`check_text` is pure (no database): it is run on every post variant before a
post can be scheduled and, through the inbox's outbound checks, on every public
reply an agent sends. The post-level checks that need the library and the
campaign (licences, attribution, UGC permission, promotion terms, text repeated
across accounts) live in `services.check_post` and use the helpers here.

Severities: "blocking" stops scheduling (and a public reply) until the text is
fixed or a manager overrides it with a reason; "warning" is shown and may be
ignored; "info" is advice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import phonenumbers

Severity = Literal["info", "warning", "blocking"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "blocking")

# Phone numbers are found with Google's libphonenumber; numbers written without a
# country code are read as numbers of these regions (UK and US first: the demo's).
PHONE_REGIONS = ("GB", "US", "DE", "FR", "AU")
# More links or hashtags than this in one post reads as stuffing to readers and platforms.
MAX_LINKS = 3
MAX_HASHTAGS = 5
# Shouting: this share of upper-case letters, over at least this many letters.
CAPITALS_SHARE = 0.6
CAPITALS_MIN_LETTERS = 20

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w#])#\w+", re.UNICODE)
_MENTION = re.compile(r"(?<![\w@])@[\w.]+(?:@[\w.-]+)?")
# A house number, a street name and a street word: "12 Baker Street", "221b Baker St.".
_STREET_WORDS = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|close|court|ct|crescent"
    "|place|pl|square|sq|terrace|way|gardens|grove|mews|row|hill|parkway|highway|hwy"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[a-z]?,?\s+(?:[A-Z][\w'-]*\s+){{1,3}}(?:{_STREET_WORDS})\b\.?",
    re.IGNORECASE,
)
# UK postcodes and US ZIP+4 alongside a street make an address; a postcode alone is one too.
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_ORDER = re.compile(
    r"\b(?:order|invoice|booking|reservation|ticket|case|ref(?:erence)?)\s*"
    r"(?:no\.?|number|num|#|:)?\s*#?\s*([A-Z]{0,4}-?\d{4,}[A-Z0-9-]*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One thing a check found: a stable code, how serious it is, and what to do."""

    code: str
    severity: Severity
    message: str
    channel_id: int | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_text(
    text: str,
    *,
    public: bool = True,
    banned_words: Iterable[str | tuple[str, bool]] = (),
) -> list[Finding]:
    """Return what a compliance reviewer would flag in `text`.

    Personal details are only findings in public text: a private reply may
    carry the customer's own order number or address. Spam patterns and
    banned words apply to both. `banned_words` holds words, or (word,
    blocking) pairs; a plain word blocks.
    """
    findings: list[Finding] = []
    if public:
        findings += _personal_details(text)
    findings += _spam(text)
    findings += _banned(text, banned_words)
    return findings


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.blocking]


def describe(findings: Iterable[Finding]) -> str:
    """Return the findings as one sentence for an error message."""
    return " ".join(finding.message for finding in findings)


# --- Personal details ------------------------------------------------------------------------


def _personal_details(text: str) -> list[Finding]:
    findings = []
    emails = _EMAIL.findall(text)
    if emails:
        findings.append(
            Finding(
                "personal_email",
                "blocking",
                f"An email address ({_mask(emails[0])}) is in public text; "
                "move it to a private message.",
            )
        )
    phones = phone_numbers(text)
    if phones:
        findings.append(
            Finding(
                "personal_phone",
                "blocking",
                f"A phone number ({_mask(phones[0])}) is in public text; "
                "move it to a private message.",
            )
        )
    address = _ADDRESS.search(text) or _POSTCODE.search(text)
    if address:
        findings.append(
            Finding(
                "personal_address",
                "blocking",
                f"A street address or postcode ({address.group(0).strip()}) is in public text.",
            )
        )
    order = _ORDER.search(text)
    if order:
        findings.append(
            Finding(
                "order_number",
                "warning",
                f"An order or reference number ({order.group(1)}) is in public text; "
                "it can identify a customer.",
            )
        )
    return findings


def phone_numbers(text: str) -> list[str]:
    """Return the phone numbers in `text`, as written."""
    found: dict[int, str] = {}
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            if phonenumbers.is_possible_number(match.number):
                found.setdefault(match.start, match.raw_string)
    return [found[start] for start in sorted(found)]


def _mask(value: str) -> str:
    value = value.strip()
    return value if len(value) <= 4 else f"{value[:3]}…{value[-2:]}"


# --- Spam patterns --------------------------------------------------------------------------


def _spam(text: str) -> list[Finding]:
    findings = []
    links = _URL.findall(text)
    if len(links) > MAX_LINKS:
        findings.append(
            Finding(
                "link_stuffing",
                "warning",
                f"{len(links)} links in one post reads as spam; keep it to {MAX_LINKS} or fewer.",
            )
        )
    tags = _HASHTAG.findall(text)
    words = len(text.split())
    if len(tags) > MAX_HASHTAGS or (len(tags) >= 4 and len(tags) * 2 > words):
        findings.append(
            Finding(
                "hashtag_stuffing",
                "warning",
                f"{len(tags)} hashtags in {words} words reads as spam; "
                f"use {MAX_HASHTAGS} or fewer, and fewer than the words.",
            )
        )
    if shouting(text):
        findings.append(
            Finding(
                "excessive_capitals",
                "warning",
                "Most of the text is in capitals, which reads as shouting.",
            )
        )
    return findings


def shouting(text: str) -> bool:
    """Return True when most letters (outside links, tags and mentions) are capitals."""
    plain = _MENTION.sub(" ", _HASHTAG.sub(" ", _URL.sub(" ", text)))
    letters = [ch for ch in plain if ch.isalpha() and ch.lower() != ch.upper()]
    if len(letters) < CAPITALS_MIN_LETTERS:
        return False
    upper = sum(1 for ch in letters if ch.isupper())
    return upper / len(letters) >= CAPITALS_SHARE


def normalised(text: str) -> str:
    """Return `text` reduced for comparison: lower case, links and whitespace removed."""
    return " ".join(_URL.sub(" ", text).lower().split())


# --- Banned words ------------------------------------------------------------------------------


def _banned(text: str, banned_words: Iterable[str | tuple[str, bool]]) -> list[Finding]:
    findings = []
    for entry in banned_words:
        word, blocks = (entry, True) if isinstance(entry, str) else entry
        word = word.strip()
        if not word:
            continue
        # Whole words only: banning "ass" must not flag "class".
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
        if pattern.search(text):
            findings.append(
                Finding(
                    "banned_word",
                    "blocking" if blocks else "warning",
                    f"“{word}” is on the organisation's list of words not to use.",
                )
            )
    return findings
