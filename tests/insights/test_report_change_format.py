"""How the report writes a change in its key-figure table."""

from __future__ import annotations

from rapport.insights.report import _percent_change


def test_a_report_change_under_one_percent_keeps_its_decimal() -> None:
    assert _percent_change(-0.34) == "-0.3%"
    assert _percent_change(0.0) == "+0.0%"
    assert _percent_change(12.4) == "+12%"
    assert _percent_change(-105.0) == "-105%"
