"""Turn untrusted HTML (a post, an email body, a feed entry) into inert plain text.

Two steps, never a regular expression over markup: nh3 (the Ammonia sanitiser)
first drops everything active (scripts, styles, event handlers, comments,
unknown tags and every attribute), then the standard library's HTML parser
walks what is left and writes its text, with line breaks where blocks were.
The result is text to be escaped on output like any other text.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import nh3

# Tags whose structure helps the plain text keep its shape. Everything else is
# unwrapped (text kept) or, for the tags below, dropped with its content.
_KEEP_TAGS = {
    "p", "br", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5",
    "h6", "tr", "td", "th", "table", "tbody", "thead", "hr", "section", "article",
}  # fmt: skip
_DROP_WITH_CONTENT = {"script", "style", "template", "title", "head", "noscript", "iframe"}
_NEWLINE_BEFORE = {"p", "div", "ul", "ol", "blockquote", "pre", "table", "tr", "section"}
_NEWLINE_BEFORE |= {"article", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}

# Characters that change how text displays without being visible: the bidi
# overrides used to disguise file names and links ("gpj.exe" shown as
# "exe.jpg"), and C0/C1 controls other than tab and newline.
_BIDI_CONTROLS = dict.fromkeys(
    [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F]
)
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in _NEWLINE_BEFORE:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _NEWLINE_BEFORE:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def clean_text(text: str) -> str:
    """Return `text` without control and bidi-override characters, with tidy whitespace."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_BIDI_CONTROLS)
    text = "".join(
        char for char in text if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cs")
    )
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML fragment or document, with nothing active left."""
    if not markup:
        return ""
    sanitised = nh3.clean(
        markup,
        tags=_KEEP_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes={},
        strip_comments=True,
        link_rel=None,
    )
    writer = _TextWriter()
    writer.feed(sanitised)
    writer.close()
    # The parser has already decoded character references once; decoding again
    # would turn a literal "&amp;lt;" into "<".
    return clean_text("".join(writer.parts))


def looks_like_html(text: str) -> bool:
    """Say whether a body that claims to be plain text is really markup."""
    head = text[:2000].lower()
    return "<html" in head or "<body" in head or "<p>" in head or "<div" in head or "<br" in head
