"""Untrusted HTML becomes inert plain text."""

from __future__ import annotations

import html

import pytest

from rapport.connectors.text import clean_text, html_to_text


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>Hello",
        '<img src=x onerror="alert(1)">Hello',
        "<style>body{display:none}</style>Hello",
        '<a href="javascript:alert(1)">Hello</a>',
        "<iframe src=//evil.test></iframe>Hello",
        "<svg><script>alert(1)</script></svg>Hello",
        "<!-- <script>alert(1)</script> -->Hello",
        "<scr<script>ipt>alert(1)</scr</script>ipt>Hello",
    ],
)
def test_hostile_html_leaves_only_its_text(hostile):
    text = html_to_text(hostile)

    assert text.endswith("Hello")
    assert "<script" not in text.lower() and "onerror" not in text and "javascript:" not in text


def test_encoded_markup_stays_text_and_is_escaped_on_output():
    text = html_to_text("<p>I typed &lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;b&amp;gt;</p>")

    assert text == "I typed <script>alert(1)</script> &lt;b&gt;"
    assert "<script>" not in html.escape(text)


def test_structure_survives_as_line_breaks():
    text = html_to_text(
        "<h1>Order</h1><p>Hi,<br>where is it?</p><ul><li>beans</li><li>mug</li></ul>"
    )

    assert text == "Order\n\nHi,\nwhere is it?\n\n- beans\n- mug"


def test_mastodon_mentions_and_hashtags_read_naturally():
    content = (
        '<p><span class="h-card"><a href="https://x/@brand" class="u-url mention">@<span>brand'
        '</span></a></span> love the <a href="https://x/tags/latte" rel="tag">#<span>latte</span>'
        "</a></p>"
    )

    assert html_to_text(content) == "@brand love the #latte"


def test_bidi_overrides_and_control_characters_are_removed():
    assert clean_text("invoice\u202egpj.exe\x00\x07 ok") == "invoicegpj.exe ok"
