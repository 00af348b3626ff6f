"""Charts of the monthly report, drawn as small hand-built SVG documents.

Each function takes plain numbers and returns a `data:image/svg+xml;base64,...`
string (or "" when there is nothing to draw), so the page and WeasyPrint embed
the same picture. Text stays text in the SVG (small, sharp when printed).

The charts are simple (bars, paired bars, lines), so they are laid out here
rather than by matplotlib: drawing all seven takes a few milliseconds instead of
most of a second, so a report never needs a chart cache. Text is measured with
DejaVu Sans's own advance widths (the font the report is set in), which keeps
labels and legends from running into each other.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from html import escape

from rapport.insights.recommendations import duration

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0ea5e9", "#84cc16", "#64748b")
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
PREVIOUS = "#cbd5e1"  # last month's bars: quiet, but visible on white paper
WARNING = "#ef4444"
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
TITLE_SIZE = 13
TEXT_SIZE = 11
SMALL_SIZE = 10
WIDE = 640  # a full-width chart, in CSS pixels; the page scales it to the column

# DejaVu Sans advance widths of the printable ASCII characters (space to "~"), in
# hundredths of an em, read from the font's hmtx table. Anything else counts as 0.62 em.
_WIDTHS = (
    32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77,
    75, 29, 29, 66, 56, 86, 75, 79, 60, 79, 69, 63, 61, 73, 68, 99, 69, 61, 69, 39,
    34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63, 63, 28, 28, 58, 28, 97, 63, 61,
    63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84,
)  # fmt: skip
BOLD_WIDER = 1.1  # DejaVu Sans Bold runs about a tenth wider


def text_width(text: str, size: float = TEXT_SIZE, *, bold: bool = False) -> float:
    """Return the width of `text` set in DejaVu Sans at `size` pixels."""
    hundredths = sum(_WIDTHS[ord(char) - 32] if 32 <= ord(char) < 127 else 62 for char in text)
    return hundredths / 100 * size * (BOLD_WIDER if bold else 1.0)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering low-high."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:g}"


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b}"


class _Svg:
    """An SVG document built from a few primitives; coordinates in CSS pixels."""

    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, *, rx: float = 0) -> None:
        if w <= 0 or h <= 0:
            return
        corner = f' rx="{rx:g}"' if rx else ""
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"'
            f'{corner} fill="{fill}"/>'
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        colour: str,
        *,
        width: float = 1,
        dash: str = "",
    ) -> None:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="{width:g}"{dashed}/>'
        )

    def polyline(self, points: Sequence[tuple[float, float]], colour: str, width: float) -> None:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width:g}" '
            'stroke-linejoin="round" stroke-linecap="round"/>'
        )

    def circle(self, x: float, y: float, r: float, fill: str) -> None:
        self.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:g}" fill="{fill}"/>')

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float = TEXT_SIZE,
        colour: str = MUTED,
        anchor: str = "start",
        bold: bool = False,
    ) -> None:
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" fill="{colour}" '
            f'text-anchor="{anchor}"{weight}>{escape(content)}</text>'
        )

    def title(self, x: float, content: str) -> None:
        self.text(x, 16, content, size=TITLE_SIZE, colour=INK, bold=True)

    def legend(
        self, x: float, y: float, items: Sequence[tuple[str, str]], *, right: float = 0
    ) -> float:
        """Draw swatches and names from (x, y), the text's baseline; return the last baseline.

        Items that would pass `right` start a new line.
        """
        start = x
        for colour, name in items:
            step = 16 + text_width(name, SMALL_SIZE) + 14
            if right and x > start and x + step - 14 > right:
                x, y = start, y + 15
            self.rect(x, y - 9, 12, 10, colour, rx=2)
            self.text(x + 16, y, name, size=SMALL_SIZE, colour=INK)
            x += step
        return y

    def data_uri(self) -> str:
        document = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:g}" '
            f'height="{self.height:g}" viewBox="0 0 {self.width:g} {self.height:g}" '
            f'font-family="{FONT}">' + "".join(self.parts) + "</svg>"
        )
        return "data:image/svg+xml;base64," + base64.b64encode(document.encode()).decode("ascii")


def legend_width(names: Sequence[str]) -> float:
    return sum(16 + text_width(name, SMALL_SIZE) + 14 for name in names) - 14


class _Plot:
    """A value axis from 0 (or `low`) to the top tick, mapped onto pixels from bottom to top."""

    def __init__(self, low: float, high: float, top: float, bottom: float, count: int = 5):
        self.ticks = nice_ticks(low, high, count)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.top, self.bottom = top, bottom

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low) if self.high > self.low else 0
        return self.bottom - share * (self.bottom - self.top)

    def label_width(self, unit: str = "") -> float:
        return max(text_width(_number(t) + unit, SMALL_SIZE) for t in self.ticks)

    def draw_grid(self, svg: _Svg, left: float, right: float, unit: str = "") -> None:
        for tick in self.ticks:
            y = self.y(tick)
            svg.line(left, y, right, y, GRID if tick != self.low else MUTED, width=0.8)
            svg.text(left - 6, y + 3.5, _number(tick) + unit, size=SMALL_SIZE, anchor="end")


def _date_labels(days: Sequence[dt.date], room: float) -> list[int]:
    """Return which of the days to label: every day, every other day or weekly, as room allows."""
    widest = max(text_width(_day(day), SMALL_SIZE) for day in days) + 10
    for step in (1, 2, 7, 14, 28):
        if len(days) / step * widest <= room:
            return list(range(0, len(days), step))
    return [0, len(days) - 1]


def _hours(seconds: float | None) -> float:
    return (seconds or 0) / 3600


# --- The charts -------------------------------------------------------------------------------


def volume_by_day(days: Sequence[dt.date], series: Mapping[str, Sequence[int]]) -> str:
    """Stacked bars: conversations opened per day, one colour per channel."""
    if not days or not any(sum(values) for values in series.values()):
        return ""
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    svg = _Svg(WIDE, 270)
    plot = _Plot(0, max(totals), top=54, bottom=240)
    left, right = 14 + plot.label_width(), WIDE - 8
    svg.title(left, "Conversations opened per day, by channel")
    items = [(PALETTE[i % len(PALETTE)], name) for i, name in enumerate(series)]
    last_line = svg.legend(left, 38, items, right=right)
    if last_line > 38:
        # A long legend wraps: the plot moves down and the picture grows with it.
        svg.height += last_line - 38
        plot = _Plot(0, max(totals), top=54 + last_line - 38, bottom=240 + last_line - 38)
    plot.draw_grid(svg, left, right)
    band = (right - left) / len(days)
    width = max(1.0, band * 0.78)
    for index in range(len(days)):
        x = left + band * index + (band - width) / 2
        base = 0
        for colour_index, values in enumerate(series.values()):
            value = values[index]
            if value:
                top, bottom = plot.y(base + value), plot.y(base)
                svg.rect(x, top, width, bottom - top, PALETTE[colour_index % len(PALETTE)])
            base += value
    for index in _date_labels(days, right - left):
        x = left + band * (index + 0.5)
        svg.line(x, plot.bottom, x, plot.bottom + 4, MUTED, width=0.8)
        svg.text(x, plot.bottom + 17, _day(days[index]), size=SMALL_SIZE, anchor="middle")
    return svg.data_uri()


def waits_by_weekday(medians: dict[int, float | None], standard_minutes: int | None) -> str:
    """Bars: the median first-reply wait per weekday (hours), with the standard as a line."""
    if not any(medians.values()):
        return ""
    hours = [_hours(medians.get(day)) for day in range(1, 8)]
    standard = (standard_minutes or 0) / 60
    svg = _Svg(WIDE, 250)
    # Room above the tallest bar for its label, and above the standard for its name.
    plot = _Plot(0, max(max(hours) * 1.12, standard * 1.25), top=44, bottom=222)
    left, right = 14 + plot.label_width(" h"), WIDE - 8
    svg.title(left, "How long customers waited for a first reply, by the day they wrote")
    svg.text(left, 34, "median wall-clock wait", size=SMALL_SIZE)
    plot.draw_grid(svg, left, right, " h")
    band = (right - left) / 7
    for index, value in enumerate(hours):
        slow = bool(standard) and value > standard * 1.5
        x = left + band * index + band * 0.2
        top = plot.y(value)
        svg.rect(x, top, band * 0.6, plot.bottom - top, WARNING if slow else PALETTE[0], rx=2)
        seconds = medians.get(index + 1)
        if seconds:
            label = duration(seconds)
            svg.text(x + band * 0.3, top - 5, label, size=SMALL_SIZE, colour=INK, anchor="middle")
        svg.text(
            left + band * (index + 0.5),
            plot.bottom + 16,
            WEEKDAY_LABELS[index],
            size=SMALL_SIZE,
            anchor="middle",
        )
    if standard:
        y = plot.y(standard)
        svg.line(left, y, right, y, INK, width=1.2, dash="5 4")
        svg.text(right, y - 5, f"standard {duration(standard * 3600)}", size=SMALL_SIZE,
                 colour=INK, anchor="end")  # fmt: skip
    return svg.data_uri()


def _paired_bars(
    title: str,
    rows: Sequence[tuple[str, float, float]],
    colour: str,
    *,
    high: float | None = None,
    unit: str = "",
    axis_label: str = "",
) -> str:
    """Horizontal bars per row: this month (in colour) above the previous month (grey)."""
    row_height = 40
    top = 48
    height = top + row_height * len(rows) + (40 if axis_label else 26)
    svg = _Svg(WIDE, height)
    widest = max(text_width(label, TEXT_SIZE) for label, _, _ in rows)
    left = min(12 + widest + 8, WIDE * 0.4)
    right = WIDE - 44  # room for the last value's label
    largest = max(max(now, before) for _, now, before in rows)
    ticks = nice_ticks(0, high if high is not None else max(largest, 1))
    scale = (right - left) / ticks[-1]
    bottom = top + row_height * len(rows)
    svg.title(12, title)
    items = [(colour, "this month"), (PREVIOUS, "previous month")]
    svg.legend(WIDE - 8 - legend_width([name for _, name in items]), 34, items)
    for tick in ticks:
        x = left + tick * scale
        svg.line(x, top - 4, x, bottom, GRID if tick else MUTED, width=0.8)
        svg.text(x, bottom + 15, _number(tick) + unit, size=SMALL_SIZE, anchor="middle")
    if axis_label:
        svg.text((left + right) / 2, bottom + 31, axis_label, size=SMALL_SIZE, anchor="middle")
    for index, (label, now, before) in enumerate(rows):
        y = top + row_height * index
        svg.text(left - 8, y + row_height / 2 + 4, label, size=TEXT_SIZE, colour=INK, anchor="end")
        svg.rect(left, y + 6, now * scale, 14, colour, rx=2)
        svg.text(left + now * scale + 5, y + 17, _number(round(now)) + unit, size=SMALL_SIZE,
                 colour=INK)  # fmt: skip
        svg.rect(left, y + 22, before * scale, 10, PREVIOUS, rx=2)
        svg.text(left + before * scale + 5, y + 31, _number(round(before)) + unit, size=9)
    return svg.data_uri()


def attainment(rows: Sequence[tuple[str, float | None, float | None]]) -> str:
    """Paired horizontal bars: share of targets met this month and the month before."""
    kept = [row for row in rows if row[1] is not None or row[2] is not None]
    if not kept:
        return ""
    shares = [(label, 100 * (now or 0), 100 * (before or 0)) for label, now, before in kept]
    return _paired_bars(
        "Service standards met", shares, PALETTE[0], high=100, unit="%",
        axis_label="% of targets met",
    )  # fmt: skip


def complaints(now: dict[str, int], before: dict[str, int], limit: int = 8) -> str:
    """Paired horizontal bars: complaints per category this month and the month before."""
    categories = sorted(now, key=lambda c: now[c], reverse=True)[:limit]
    if not categories:
        return ""
    rows = [(c.replace("_", " "), float(now[c]), float(before.get(c, 0))) for c in categories]
    return _paired_bars("Complaints by topic", rows, PALETTE[1])


def _lines(
    title: str,
    series: Mapping[str, Sequence[tuple[dt.date, float]]],
    *,
    width: float,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    markers: bool = False,
) -> str:
    days = sorted({day for points in series.values() for day, _ in points})
    values = [value for points in series.values() for _, value in points]
    span = max(values) - min(values)
    bottom_value = low if low is not None else min(values) - 0.1 * span
    top_value = high if high is not None else max(values) + 0.1 * span
    legend = len(series) > 1
    svg = _Svg(width, 230)
    plot = _Plot(bottom_value, top_value, top=48 if legend else 30, bottom=200, count=4)
    left, right = 14 + plot.label_width(unit), width - 12
    svg.title(left, title)
    if legend:
        items = [(PALETTE[i % len(PALETTE)], name) for i, name in enumerate(series)]
        svg.legend(left, 36, items, right=right)
    plot.draw_grid(svg, left, right, unit)
    first, last = days[0], days[-1]
    spread = max(1, (last - first).days)

    def x(day: dt.date) -> float:
        return left + 8 + (right - left - 16) * (day - first).days / spread

    for index, points in enumerate(series.values()):
        colour = PALETTE[index % len(PALETTE)] if legend else PALETTE[2]
        coordinates = [(x(day), plot.y(value)) for day, value in points]
        svg.polyline(coordinates, colour, 2)
        if markers:
            for cx, cy in coordinates:
                svg.circle(cx, cy, 2.6, colour)
    for index in _date_labels(days, right - left):
        svg.line(x(days[index]), plot.bottom, x(days[index]), plot.bottom + 4, MUTED, width=0.8)
        svg.text(x(days[index]), plot.bottom + 17, _day(days[index]), size=SMALL_SIZE,
                 anchor="middle")  # fmt: skip
    return svg.data_uri()


def satisfaction(days: Sequence[dt.date], csat: Sequence[float | None]) -> str:
    """A line: share of satisfied survey answers per day (or week)."""
    points = [(d, v) for d, v in zip(days, csat, strict=True) if v is not None]
    if len(points) < 2:
        return ""
    return _lines(
        "Customer satisfaction (share answering 4 or 5)",
        {"CSAT": points},
        width=WIDE,
        low=0,
        high=100,
        unit="%",
        markers=True,
    )


def followers(series: Mapping[str, Sequence[tuple[dt.date, int]]]) -> str:
    """Lines: followers per account over the month."""
    kept = {name: [(d, float(v)) for d, v in points] for name, points in series.items()}
    kept = {name: points for name, points in kept.items() if len(points) >= 2}
    if not kept:
        return ""
    # Drawn narrower: it shares a row with the engagement bars, at the same text size.
    return _lines("Followers", kept, width=440)


def media_engagement(with_media: float | None, text_only: float | None) -> str:
    """Two bars: mean engagement of a post with a photo or video and of a text-only post."""
    if not with_media and not text_only:
        return ""
    values = [with_media or 0.0, text_only or 0.0]
    svg = _Svg(220, 230)
    plot = _Plot(0, max(values) * 1.15, top=34, bottom=190, count=4)
    left, right = 12 + plot.label_width(), 220 - 8
    svg.title(8, "Engagement per post")
    plot.draw_grid(svg, left, right)
    band = (right - left) / 2
    for index, (value, label, colour) in enumerate(
        zip(values, ("photo/video", "text only"), (PALETTE[0], PREVIOUS), strict=True)
    ):
        x = left + band * index + band * 0.18
        top = plot.y(value)
        svg.rect(x, top, band * 0.64, plot.bottom - top, colour, rx=2)
        centre = left + band * (index + 0.5)
        svg.text(centre, top - 5, f"{value:.1f}", size=SMALL_SIZE, colour=INK, anchor="middle")
        svg.text(centre, plot.bottom + 16, label, size=SMALL_SIZE, anchor="middle")
    return svg.data_uri()
