"""The monthly report renders as HTML and PDF, on an empty month and on a month with data."""

from __future__ import annotations

import datetime as dt

import weasyprint

from rapport.insights import report


def test_an_empty_month_renders_html_and_a_pdf_with_pages(org):
    built = report.build(org, dt.date(2026, 10, 1))

    html = report.render_html(built)
    pdf = report.render_pdf(built)

    assert "monthly report, October 2026" in html
    assert "There was no customer service or social media activity" in html
    assert pdf.startswith(b"%PDF")
    pages = weasyprint.HTML(string=report.render_html(built, for_pdf=True)).render().pages
    assert len(pages) >= 2
