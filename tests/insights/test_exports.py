"""CSV and XLSX exports: every row, streamed, safe cells, refused to those who may not see them."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html import unescape

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from rapport.inbox.models import Conversation, Message
from rapport.insights import exports
from tests.insights import service_data
from tests.insights.service_data import OCTOBER

OCTOBER_QUERY = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def data(org, alice, bob):
    return service_data.build(org, alice, bob)


class _Workbook:
    """Just enough of an XLSX reader for the tests: rows per sheet, texts, formulas."""

    def __init__(self, data: bytes) -> None:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = sorted(
            (n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
            key=lambda n: int(re.findall(r"\d+", n)[0]),
        )
        self.sheets = [archive.read(name).decode() for name in names]
        shared = (
            archive.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in archive.namelist()
            else ""
        )
        self.texts = [
            unescape(t) for t in re.findall(r"<t[^>]*>(.*?)</t>", shared + "".join(self.sheets))
        ]

    def rows(self) -> list[int]:
        return [sheet.count("<row ") for sheet in self.sheets]

    def has_formulas(self) -> bool:
        return any("<f>" in sheet or "<f " in sheet for sheet in self.sheets)


def _xlsx(response) -> _Workbook:
    return _Workbook(b"".join(response.streaming_content))


def _csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[arg-type]
    return list(csv.reader(io.StringIO(text)))


def test_conversations_csv_has_every_row_of_the_period(data, web_as, sam):
    response = web_as(sam).get(
        reverse("insights:export", args=["conversations", "csv"]), OCTOBER_QUERY
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="conversations-20261001-20261101.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:3] == ["conversation", "opened_at", "channel"]
    assert "assignee" in rows[0]
    assert len(rows) == 1 + 4
    c2 = next(row for row in rows if row[0] == str(data.conversations["c2"].public_id))
    header = rows[0]
    assert c2[header.index("first_response_business_seconds")] == "5400"
    assert c2[header.index("category")] == "delivery"


def test_agents_do_not_get_names_in_row_exports(data, web_as, alice):
    response = web_as(alice).get(
        reverse("insights:export", args=["responses", "csv"]), OCTOBER_QUERY
    )

    assert "agent" not in _csv(response)[0]


def test_per_agent_table_needs_the_people_capability(data, web_as, alice, sam):
    url = reverse("insights:export", args=["agents", "csv"])

    assert web_as(alice).get(url, OCTOBER_QUERY).status_code == 403
    rows = _csv(web_as(sam).get(url, OCTOBER_QUERY))
    assert [row[0] for row in rows[1:]] == sorted(row[0] for row in rows[1:])
    assert len(rows) == 3


def test_xlsx_export_holds_the_same_rows(data, web_as, sam):
    response = web_as(sam).get(
        reverse("insights:export", args=["conversations", "xlsx"]), OCTOBER_QUERY
    )

    assert response.status_code == 200
    workbook = _xlsx(response)
    assert workbook.rows() == [1 + 4]
    assert "opened_at (UTC)" in workbook.texts


def test_customer_text_cannot_become_a_formula(data, web_as, sam):
    # Given a survey comment that a spreadsheet would run as a formula
    from rapport.surveys.models import SurveyResponse

    SurveyResponse.objects.filter(csat=2).update(comment='=HYPERLINK("http://evil","click")')

    rows = _csv(web_as(sam).get(reverse("insights:export", args=["surveys", "csv"]), OCTOBER_QUERY))
    comments = [row[rows[0].index("comment")] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil","click")' in comments

    response = web_as(sam).get(reverse("insights:export", args=["surveys", "xlsx"]), OCTOBER_QUERY)
    workbook = _xlsx(response)
    assert '=HYPERLINK("http://evil","click")' in workbook.texts  # a string cell
    assert not workbook.has_formulas()


def test_long_tables_continue_on_a_second_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)
    table = exports.Table("t", "Numbers", ["n"], ([i] for i in range(7)))

    count = exports.write_xlsx(table, str(tmp_path / "t.xlsx"))

    workbook = _Workbook((tmp_path / "t.xlsx").read_bytes())
    assert count == 7
    # Each sheet: the header and up to three rows (3 + 3 + 1).
    assert workbook.rows() == [4, 4, 2]


@pytest.mark.parametrize("table", sorted(exports.TABLES))
def test_every_table_exports(data, web_as, sam, table):
    response = web_as(sam).get(reverse("insights:export", args=[table, "csv"]), OCTOBER_QUERY)

    assert response.status_code == 200
    assert len(_csv(response)[0]) >= 3


def test_unknown_table_or_format_is_not_found(data, web_as, sam):
    client = web_as(sam)
    assert client.get(reverse("insights:export", args=["secrets", "csv"])).status_code == 404
    assert client.get(reverse("insights:export", args=["surveys", "pdf"])).status_code == 404


def test_outsider_exports_nothing_of_ours(data, web_as, charlie):
    rows = _csv(
        web_as(charlie).get(
            reverse("insights:export", args=["conversations", "csv"]), OCTOBER_QUERY
        )
    )

    assert rows[1:] == []


def test_csv_streams_from_the_cursor(data):
    scope = exports.Scope(data.organisation, *OCTOBER, people=True)
    table = exports.TABLES["conversations"].build(scope)

    # A generator, not a list: rows are fetched as the response is sent.
    assert not isinstance(table.rows, list)
    assert Conversation.objects.count() == 5 and Message.objects.exists()
