"""Every insights table as CSV or XLSX, streamed, with no row cap.

CSV rows are written as the database cursor yields them (`iterator()`), so a
million-row export never sits in memory. XLSX is written by XlsxWriter in
constant-memory mode to a temporary file, which is then streamed; a sheet holds
at most 1,048,576 rows, so longer tables continue on further sheets.

Cells that begin with `=`, `+`, `-`, `@`, tab or carriage return are prefixed
with an apostrophe in CSV: customer text must never become a spreadsheet
formula (CSV injection). XLSX cells are written as strings, never formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse

from rapport.accounts.models import Organisation, Team
from rapport.channels.models import Channel
from rapport.inbox.models import ComplaintResolution
from rapport.insights import facts, metrics, social
from rapport.insights.models import ConversationFact, ResponseFact
from rapport.surveys.models import SurveyResponse

XLSX_MAX_ROWS = 1_048_576
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]


@dataclass(frozen=True)
class Scope:
    organisation: Organisation
    start: dt.datetime
    end: dt.datetime
    team: Team | None = None
    channel: Channel | None = None
    people: bool = False  # may see per-agent figures and names


@dataclass(frozen=True)
class TableSpec:
    title: str
    build: Callable[[Scope], Table]
    people: bool = False  # needs the per-agent capability


def _filtered(queryset: Any, scope: Scope, at: str, prefix: str = "") -> Any:
    queryset = queryset.filter(
        organisation=scope.organisation, **{f"{at}__gte": scope.start, f"{at}__lt": scope.end}
    )
    if scope.team is not None:
        queryset = queryset.filter(**{f"{prefix}team": scope.team})
    if scope.channel is not None:
        queryset = queryset.filter(**{f"{prefix}channel": scope.channel})
    return queryset


def _conversations(scope: Scope) -> Table:
    facts.refresh_if_stale(scope.organisation)
    fields = [
        "conversation__public_id",
        "opened_at",
        "channel__name",
        "team__name",
        "kind",
        "category",
        "priority",
        "status",
        "first_responded_at",
        "first_response_seconds",
        "resolved_at",
        "resolution_seconds",
        "resolution_due_at",
        "inbound_count",
        "outbound_count",
    ]
    columns = [
        "conversation",
        "opened_at",
        "channel",
        "team",
        "kind",
        "category",
        "priority",
        "status",
        "first_responded_at",
        "first_response_business_seconds",
        "resolved_at",
        "resolution_business_seconds",
        "resolution_due_at",
        "inbound_messages",
        "outbound_messages",
    ]
    if scope.people:
        fields.append("assignee__email")
        columns.append("assignee")
    rows = (
        _filtered(ConversationFact.objects, scope, "opened_at")
        .order_by("opened_at", "pk")
        .values_list(*fields)
        .iterator(chunk_size=5000)
    )
    return Table("conversations", "Conversations", columns, rows)


def _responses(scope: Scope) -> Table:
    facts.refresh_if_stale(scope.organisation)
    fields = [
        "conversation__public_id",
        "is_first",
        "channel__name",
        "team__name",
        "customer_at",
        "responded_at",
        "business_seconds",
        "due_at",
    ]
    columns = [
        "conversation",
        "first_response",
        "channel",
        "team",
        "customer_wrote_at",
        "responded_at",
        "business_seconds",
        "due_at",
    ]
    if scope.people:
        fields.append("agent__email")
        columns.append("agent")
    rows = (
        _filtered(ResponseFact.objects, scope, "customer_at")
        .order_by("customer_at", "pk")
        .values_list(*fields)
        .iterator(chunk_size=5000)
    )
    return Table("responses", "Customer waits and responses", columns, rows)


def _surveys(scope: Scope) -> Table:
    fields = [
        "public_id",
        "submitted_at",
        "survey__name",
        "conversation__public_id",
        "channel__name",
        "team__name",
        "csat",
        "nps",
        "ces",
        "sentiment",
        "comment",
    ]
    columns = [
        "response",
        "submitted_at",
        "survey",
        "conversation",
        "channel",
        "team",
        "csat",
        "nps",
        "ces",
        "sentiment",
        "comment",
    ]
    if scope.people:
        fields.append("agent__email")
        columns.append("agent")
    rows = (
        _filtered(SurveyResponse.objects, scope, "submitted_at")
        .order_by("submitted_at", "pk")
        .values_list(*fields)
        .iterator(chunk_size=5000)
    )
    return Table("surveys", "Survey responses", columns, rows)


def _resolutions(scope: Scope) -> Table:
    rows = (
        _filtered(ComplaintResolution.objects, scope, "created_at", "conversation__")
        .order_by("created_at", "pk")
        .values_list(
            "public_id",
            "created_at",
            "conversation__public_id",
            "conversation__intent",
            "action",
            "amount",
            "currency",
            "cost",
            "customer_acceptance",
            "external_body",
        )
        .iterator(chunk_size=5000)
    )
    columns = [
        "resolution",
        "recorded_at",
        "conversation",
        "category",
        "action",
        "amount",
        "currency",
        "cost",
        "customer_acceptance",
        "external_body",
    ]
    return Table("resolutions", "Complaint resolutions", columns, rows)


def _summary_counts(scope: Scope) -> Table:
    summary = metrics.service_summary(
        scope.organisation, scope.start, scope.end, team=scope.team, channel=scope.channel
    )
    rows: list[Sequence[Any]] = []
    for dimension, tallies in (
        ("channel", summary.volume_by_channel),
        ("kind", summary.volume_by_kind),
        ("team", summary.volume_by_team),
        ("complaint category", summary.complaints_by_category),
    ):
        rows.extend((dimension, tally.label, tally.count) for tally in tallies)
    return Table("volume", "Volume", ["by", "value", "conversations"], rows)


def _people_table(by_team: bool) -> Callable[[Scope], Table]:
    def build(scope: Scope) -> Table:
        if by_team:
            people = metrics.team_rows(
                scope.organisation, scope.start, scope.end, channel=scope.channel
            )
        else:
            people = metrics.agent_rows(
                scope.organisation, scope.start, scope.end, team=scope.team, channel=scope.channel
            )
        columns = [
            "team" if by_team else "agent",
            "conversations",
            "resolved",
            "responses",
            "first_response_median_s",
            "first_response_p90_s",
            "response_median_s",
            "response_p90_s",
            "resolution_median_s",
            "resolution_p90_s",
            "responses_due",
            "responses_in_time",
            "csat_responses",
            "csat_average",
        ]
        rows = [
            (
                row.name,
                row.conversations,
                row.resolved,
                row.responses,
                row.first_response.median,
                row.first_response.p90,
                row.response.median,
                row.response.p90,
                row.resolution.median,
                row.resolution.p90,
                row.responses_due,
                row.responses_met,
                row.csat_count,
                row.csat_average,
            )
            for row in people
        ]
        slug = "teams" if by_team else "agents"
        return Table(slug, "Teams" if by_team else "Agents", columns, rows)

    return build


def _posts(scope: Scope) -> Table:
    variants = social.published_variants(scope.organisation, scope.start, scope.end)
    if scope.channel is not None:
        variants = variants.filter(channel=scope.channel)
    rows = (
        variants.order_by("published_at", "pk")
        .values_list(
            "public_id",
            "published_at",
            "channel__name",
            "post__title",
            "post__campaign__name",
            "has_media",
            "m_favourites",
            "m_boosts",
            "m_replies",
            "m_impressions",
            "m_reach",
            "url",
            "text",
        )
        .iterator(chunk_size=2000)
    )
    columns = [
        "post_variant",
        "published_at",
        "account",
        "title",
        "campaign",
        "has_media",
        "favourites",
        "boosts",
        "replies",
        "impressions",
        "reach",
        "url",
        "text",
    ]
    return Table("posts", "Published posts", columns, rows)


def _accounts(scope: Scope) -> Table:
    summary = social.social_summary(scope.organisation, scope.start, scope.end)
    columns = [
        "account",
        "platform",
        "followers_start",
        "followers_end",
        "posts",
        "favourites",
        "boosts",
        "replies",
        "impressions",
        "reach",
        "engagement_rate_pct",
        "mentions",
        "positive",
        "neutral",
        "negative",
        "ugc",
    ]
    rows = [
        (
            a.name,
            a.platform,
            a.followers_start,
            a.followers_end,
            a.posts,
            a.favourites,
            a.boosts,
            a.replies,
            a.impressions,
            a.reach,
            a.engagement_rate,
            a.mentions.total,
            a.mentions.positive,
            a.mentions.neutral,
            a.mentions.negative,
            a.mentions.ugc,
        )
        for a in summary.accounts
    ]
    return Table("accounts", "Social accounts", columns, rows)


TABLES: dict[str, TableSpec] = {
    "volume": TableSpec("Volume by channel, kind, team and category", _summary_counts),
    "conversations": TableSpec("Conversations (one row each)", _conversations),
    "responses": TableSpec("Customer waits and responses", _responses),
    "resolutions": TableSpec("Complaint resolutions", _resolutions),
    "surveys": TableSpec("Survey responses", _surveys),
    "agents": TableSpec("Agents", _people_table(by_team=False), people=True),
    "teams": TableSpec("Teams", _people_table(by_team=True), people=True),
    "accounts": TableSpec("Social accounts", _accounts),
    "posts": TableSpec("Published posts", _posts),
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, Decimal | int):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that spreadsheet programs read UTF-8
    yield writer.writerow(table.columns)
    for row in table.rows:
        yield writer.writerow([_cell(value) for value in row])


def filename(table: Table, scope: Scope, extension: str) -> str:
    return f"{table.slug}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.{extension}"


def csv_response(table: Table, scope: Scope) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(table, scope, "csv")}"'
    return response


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write the UTC wall time, and say so in the header.
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return None
    if isinstance(value, int | float):
        return value
    return str(value)


def write_xlsx(table: Table, path: str) -> int:
    """Write the table to an XLSX file at `path`; return the number of data rows."""
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    header = [f"{name} (UTC)" if name.endswith("_at") else name for name in table.columns]
    sheet = None
    sheet_number = 0
    row_index = XLSX_MAX_ROWS
    count = 0
    for row in table.rows:
        if row_index >= XLSX_MAX_ROWS:
            sheet_number += 1
            name = table.title[:25] if sheet_number == 1 else f"{table.title[:22]} ({sheet_number})"
            sheet = workbook.add_worksheet(name)
            sheet.write_row(0, 0, header, bold)
            sheet.freeze_panes(1, 0)
            row_index = 1
        assert sheet is not None
        for column, value in enumerate(row):
            converted = _xlsx_value(value)
            if isinstance(converted, dt.datetime):
                sheet.write_datetime(row_index, column, converted, stamp)
            elif isinstance(converted, str):
                sheet.write_string(row_index, column, converted)
            elif converted is None:
                continue
            else:
                sheet.write_number(row_index, column, converted)
        row_index += 1
        count += 1
    if sheet is None:
        sheet = workbook.add_worksheet(table.title[:25])
        sheet.write_row(0, 0, header, bold)
    workbook.close()
    return count


def xlsx_response(table: Table, scope: Scope) -> FileResponse:
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="rapport-export-")
    os.close(handle)
    try:
        write_xlsx(table, path)
        stream = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        # The open handle keeps the data readable; the name goes at once.
        os.unlink(path)
    return FileResponse(
        stream,
        as_attachment=True,
        filename=filename(table, scope, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def respond(slug: str, fmt: str, scope: Scope) -> StreamingHttpResponse | FileResponse:
    """Build table `slug` for the scope and return it as a streamed download."""
    table = TABLES[slug].build(scope)
    if fmt == "xlsx":
        return xlsx_response(table, scope)
    return csv_response(table, scope)
