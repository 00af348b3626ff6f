"""Per-platform limits on a post: length, media count and type, link handling, first comment.

`check_variant` is pure: the composer calls it live as the text changes, and
`services.check_post` calls it before a post can be scheduled. Limits that a
platform enforces itself (it would refuse the post) are blocking; limits that
only hurt the post (a link that will not be clickable) are warnings.

Sources: each rule names where its numbers come from and when they were read.
Platforms change these; the rule table is the one place to update.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapport.publishing.compliance import Finding

# Mastodon (and X) count every link as this many characters, however long it is.
LINK_WEIGHT = 23
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w#])#\w+", re.UNICODE)


@dataclass(frozen=True)
class PlatformRules:
    """What one platform accepts in a post."""

    label: str
    max_length: int
    # "chars": code points; "graphemes": what a reader sees as one character;
    # "links_weighted": code points, with every link counted as LINK_WEIGHT.
    length_unit: str = "chars"
    max_media: int = 4
    media_kinds: frozenset[str] = frozenset({"image", "video", "audio"})
    # At most this many videos in one post (images and video do not mix where it is 1
    # and `mix_media` is False).
    max_video: int = 1
    mix_media: bool = False
    requires_media: bool = False
    # "inline": links in the text are clickable; "not_clickable": they are not (put the
    # link in the profile); "card": the first link becomes a preview card.
    links: str = "inline"
    # Whether a first comment can be posted as a reply in the post's thread.
    first_comment: bool = True
    max_hashtags: int | None = None
    # Whether Rapport can publish there today (a connector exists).
    publishable: bool = False
    source: str = ""
    checked_on: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


PLATFORM_RULES: dict[str, PlatformRules] = {
    "sandbox": PlatformRules(
        label="Sandbox social network",
        max_length=500,
        max_media=4,
        media_kinds=frozenset({"image", "video", "audio"}),
        publishable=True,
        source="rapport/sandbox/services.py (MAX_CHARACTERS, MAX_MEDIA_PER_STATUS)",
        checked_on="2026-11-23",
    ),
    "mastodon": PlatformRules(
        label="Mastodon",
        max_length=500,
        length_unit="links_weighted",
        max_media=4,
        media_kinds=frozenset({"image", "video", "audio"}),
        publishable=True,
        source="docs.joinmastodon.org/user/posting/ (500 characters, links count as 23, "
        "up to 4 images or 1 video or audio; the instance may set other limits)",
        checked_on="2026-11-23",
    ),
    "bluesky": PlatformRules(
        label="Bluesky",
        max_length=300,
        length_unit="graphemes",
        max_media=4,
        # Rapport's Bluesky adapter attaches images only.
        media_kinds=frozenset({"image"}),
        links="card",
        publishable=True,
        source="docs.bsky.app (app.bsky.feed.post: text maxGraphemes 300; "
        "app.bsky.embed.images: 4 images)",
        checked_on="2026-11-23",
    ),
    "x": PlatformRules(
        label="X (Twitter)",
        max_length=280,
        length_unit="links_weighted",
        max_media=4,
        media_kinds=frozenset({"image", "video"}),
        links="card",
        source="developer.x.com counting characters (280 weighted, links as 23); "
        "help.x.com posting photos (4 images, or 1 video or GIF)",
        checked_on="2026-11-23",
    ),
    "facebook": PlatformRules(
        label="Facebook Page",
        max_length=63206,
        max_media=10,
        media_kinds=frozenset({"image", "video"}),
        links="card",
        source="Meta for Business help centre, Page post limits (63,206 characters)",
        checked_on="2026-11-23",
    ),
    "instagram": PlatformRules(
        label="Instagram",
        max_length=2200,
        max_media=10,
        media_kinds=frozenset({"image", "video"}),
        max_video=10,
        mix_media=True,
        requires_media=True,
        links="not_clickable",
        max_hashtags=30,
        source="Instagram Graph API content publishing (caption 2,200 characters, "
        "30 hashtags, carousels of up to 10 items; links in captions are not clickable)",
        checked_on="2026-11-23",
    ),
    "linkedin": PlatformRules(
        label="LinkedIn",
        max_length=3000,
        max_media=20,
        media_kinds=frozenset({"image", "video"}),
        links="card",
        source="LinkedIn help centre, sharing posts (3,000 characters, up to 20 images or 1 video)",
        checked_on="2026-11-23",
    ),
    "threads": PlatformRules(
        label="Threads",
        max_length=500,
        max_media=20,
        media_kinds=frozenset({"image", "video"}),
        max_video=20,
        mix_media=True,
        links="card",
        source="Threads API posts reference (500 characters, carousels of up to 20 items)",
        checked_on="2026-11-23",
    ),
    "tiktok": PlatformRules(
        label="TikTok",
        max_length=4000,
        max_media=1,
        media_kinds=frozenset({"video"}),
        requires_media=True,
        links="not_clickable",
        first_comment=False,
        source="TikTok for Developers, Content Posting API (one video; caption up to "
        "4,000 characters; links are not clickable)",
        checked_on="2026-11-23",
    ),
}


def rules_for(platform: str) -> PlatformRules:
    """Return the rules of `platform`; an unknown one gets Mastodon's, the most common base."""
    return PLATFORM_RULES.get(platform) or PLATFORM_RULES["mastodon"]


def published_text(text: str, link: str) -> str:
    """Return the text as it goes out: the link is appended unless the text already has it."""
    text = text.strip()
    link = link.strip()
    if link and link not in text:
        return f"{text}\n\n{link}" if text else link
    return text


def length(platform: str, text: str) -> int:
    """Return the length of `text` as `platform` counts it."""
    unit = rules_for(platform).length_unit
    if unit == "graphemes":
        return graphemes(text)
    if unit == "links_weighted":
        links = _URL.findall(text)
        return len(_URL.sub("", text)) + LINK_WEIGHT * len(links)
    return len(text)


def graphemes(text: str) -> int:
    """Return how many user-perceived characters `text` has (an extended-grapheme estimate).

    Combining marks, variation selectors, emoji skin tones and zero-width-joined
    sequences attach to the character before them; a pair of regional
    indicators is one flag. This matches Unicode's segmentation for the text
    people write in posts without pulling in a segmentation library.
    """
    count = 0
    joined = False
    pending_flag = False
    for ch in text:
        code = ord(ch)
        if joined:
            joined = False
            if ch == "\u200d":
                joined = True
            continue
        if ch == "\u200d":
            joined = True
            continue
        if (
            unicodedata.combining(ch)
            or unicodedata.category(ch) in ("Mn", "Me")
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F
        ):
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:
            if pending_flag:
                pending_flag = False
                continue
            pending_flag = True
            count += 1
            continue
        pending_flag = False
        count += 1
    return count


def check_variant(
    platform: str,
    *,
    text: str,
    link: str = "",
    media_kinds: Sequence[str] = (),
    first_comment: str = "",
    channel_id: int | None = None,
) -> list[Finding]:
    """Return what `platform` would refuse (blocking) or handle badly (warning) in this variant."""
    rules = rules_for(platform)
    findings: list[Finding] = []

    def add(code: str, severity: str, message: str) -> None:
        findings.append(Finding(code, severity, message, channel_id))  # type: ignore[arg-type]

    full = published_text(text, link)
    used = length(platform, full)
    if not full.strip() and not media_kinds:
        add("empty", "blocking", f"A {rules.label} post needs text or media.")
    if used > rules.max_length:
        unit = "characters" if rules.length_unit != "graphemes" else "characters (graphemes)"
        add(
            "too_long",
            "blocking",
            f"{used} {unit} is over {rules.label}'s limit of {rules.max_length}"
            f"{' (the link included)' if link and link not in text else ''}; "
            f"cut {used - rules.max_length}.",
        )
    if len(media_kinds) > rules.max_media:
        add(
            "too_many_media",
            "blocking",
            f"{rules.label} takes at most {rules.max_media} media items, not {len(media_kinds)}.",
        )
    refused = sorted({kind for kind in media_kinds if kind not in rules.media_kinds})
    if refused:
        add(
            "media_kind",
            "blocking",
            f"{rules.label} does not take {', '.join(refused)} media here "
            f"(it takes {', '.join(sorted(rules.media_kinds))}).",
        )
    videos = sum(1 for kind in media_kinds if kind in ("video", "audio"))
    if videos > rules.max_video:
        add(
            "too_many_videos",
            "blocking",
            f"{rules.label} takes at most {rules.max_video} video or audio item(s) in a post.",
        )
    if videos and len(media_kinds) > videos and not rules.mix_media:
        add(
            "mixed_media",
            "blocking",
            f"{rules.label} does not mix images with video or audio in one post.",
        )
    if rules.requires_media and not media_kinds:
        add("media_required", "blocking", f"A {rules.label} post needs an image or a video.")
    if (link or _URL.search(text)) and rules.links == "not_clickable":
        add(
            "link_not_clickable",
            "warning",
            f"Links in {rules.label} posts are not clickable; put it in the profile instead.",
        )
    if first_comment.strip() and not rules.first_comment:
        add(
            "no_first_comment",
            "warning",
            f"{rules.label} has no threaded first comment; it will not be posted.",
        )
    if first_comment and length(platform, first_comment) > rules.max_length:
        add(
            "first_comment_too_long",
            "blocking",
            f"The first comment is over {rules.label}'s limit of {rules.max_length}.",
        )
    tags = len(_HASHTAG.findall(full))
    if rules.max_hashtags is not None and tags > rules.max_hashtags:
        add(
            "too_many_hashtags",
            "blocking",
            f"{rules.label} takes at most {rules.max_hashtags} hashtags, not {tags}.",
        )
    return findings
