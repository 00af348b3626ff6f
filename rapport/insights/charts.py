"""Charts of the monthly report: matplotlib (Agg), rendered to SVG data URIs for HTML and PDF.

Each function takes plain numbers and returns a `data:image/svg+xml;base64,...`
string (or "" when there is nothing to draw), so the page and WeasyPrint embed
the same picture. Text stays text in the SVG (smaller, sharp when printed).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import io
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec

import matplotlib
from django.core.cache import cache

matplotlib.use("Agg")

from matplotlib import dates as mdates  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

P = ParamSpec("P")
PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0ea5e9", "#84cc16", "#64748b")
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

plt.rcParams.update(
    {
        "svg.fonttype": "none",
        "svg.hashsalt": "rapport-report",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.edgecolor": GRID,
        "axes.labelcolor": MUTED,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.titlecolor": INK,
        "axes.titlelocation": "left",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "legend.frameon": False,
        "legend.fontsize": 8,
    }
)


def _figure(width: float = 6.4, height: float = 2.6) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _encode(figure: Figure) -> str:
    buffer = io.BytesIO()
    # Fixed margins rather than bbox_inches="tight", which draws every figure twice.
    # Margins in inches, so short and tall figures keep room for titles and tick labels.
    height = figure.get_figheight()
    figure.subplots_adjust(left=0.16, right=0.97, top=1 - 0.42 / height, bottom=0.5 / height)
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def cached(function: Callable[P, str]) -> Callable[P, str]:
    """Reuse a chart drawn from exactly the same numbers (a past month rarely changes).

    The key is a hash of the function's name and arguments, so any change in the data
    draws it again; drawing is most of the cost of a report.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> str:
        digest = hashlib.sha256(repr((function.__name__, args, kwargs)).encode()).hexdigest()
        key = f"insights:chart:{CHART_VERSION}:{digest}"
        found = cache.get(key)
        if found is None:
            found = function(*args, **kwargs)
            cache.set(key, found, CHART_CACHE_SECONDS)
        return str(found)

    return wrapper


CHART_VERSION = 1  # bump when a chart's drawing changes
CHART_CACHE_SECONDS = 7 * 24 * 3600


def _hours(seconds: float | None) -> float:
    return (seconds or 0) / 3600


@cached
def volume_by_day(days: Sequence[dt.date], series: Mapping[str, Sequence[int]]) -> str:
    """Stacked bars: conversations opened per day, one colour per channel."""
    if not days or not any(sum(values) for values in series.values()):
        return ""
    figure, axes = _figure()
    bottom = [0] * len(days)
    for index, (name, values) in enumerate(series.items()):
        axes.bar(
            mdates.date2num(list(days)),
            values,
            bottom=bottom,
            color=PALETTE[index % len(PALETTE)],
            label=name,
            width=0.8,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title("Conversations opened per day, by channel")
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    axes.legend(loc="upper left", ncols=min(4, len(series)))
    return _encode(figure)


@cached
def waits_by_weekday(medians: dict[int, float | None], standard_minutes: int | None) -> str:
    """Bars: the median first-reply wait per weekday (hours), with the standard as a line."""
    if not any(medians.values()):
        return ""
    figure, axes = _figure(height=2.4)
    hours = [_hours(medians.get(day)) for day in range(1, 8)]
    standard = (standard_minutes or 0) / 60
    colours = [PALETTE[3] if standard and value > standard * 1.5 else PALETTE[0] for value in hours]
    axes.bar(WEEKDAY_LABELS, hours, color=colours, width=0.6)
    if standard:
        axes.axhline(standard, color=INK, linestyle="--", linewidth=1)
        axes.annotate(
            f"standard {standard:g} h",
            xy=(6.4, standard),
            xytext=(0, 3),
            textcoords="offset points",
            ha="right",
            color=INK,
            fontsize=8,
        )
    axes.set_ylabel("hours (median)")
    axes.set_title("How long customers waited for a first reply, by the day they wrote")
    return _encode(figure)


@cached
def attainment(rows: Sequence[tuple[str, float | None, float | None]]) -> str:
    """Paired horizontal bars: share of targets met this month and the month before."""
    rows = [row for row in rows if row[1] is not None or row[2] is not None]
    if not rows:
        return ""
    figure, axes = _figure(height=0.5 + 0.55 * len(rows))
    axes.grid(axis="x", color=GRID, linewidth=0.6)
    axes.grid(axis="y", visible=False)
    positions = list(range(len(rows)))
    now = [100 * (row[1] or 0) for row in rows]
    before = [100 * (row[2] or 0) for row in rows]
    axes.barh([p + 0.2 for p in positions], before, height=0.38, color=GRID, label="previous month")
    axes.barh([p - 0.2 for p in positions], now, height=0.38, color=PALETTE[0], label="this month")
    for position, value in zip(positions, now, strict=True):
        axes.annotate(
            f"{value:.0f}%",
            xy=(value, position - 0.2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=INK,
        )
    axes.set_yticks(positions, [row[0] for row in rows])
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xlabel("% of targets met")
    axes.set_title("Service standards met")
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2)
    return _encode(figure)


@cached
def complaints(now: dict[str, int], before: dict[str, int], limit: int = 8) -> str:
    """Paired horizontal bars: complaints per category this month and the month before."""
    categories = sorted(now, key=lambda c: now[c], reverse=True)[:limit]
    if not categories:
        return ""
    figure, axes = _figure(height=0.5 + 0.45 * len(categories))
    axes.grid(axis="x", color=GRID, linewidth=0.6)
    axes.grid(axis="y", visible=False)
    positions = list(range(len(categories)))
    axes.barh(
        [p + 0.2 for p in positions],
        [before.get(c, 0) for c in categories],
        height=0.38,
        color=GRID,
        label="previous month",
    )
    axes.barh(
        [p - 0.2 for p in positions],
        [now[c] for c in categories],
        height=0.38,
        color=PALETTE[1],
        label="this month",
    )
    axes.set_yticks(positions, [c.replace("_", " ") for c in categories])
    axes.invert_yaxis()
    axes.set_title("Complaints by topic")
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2)
    return _encode(figure)


@cached
def satisfaction(days: Sequence[dt.date], csat: Sequence[float | None]) -> str:
    """A line: share of satisfied survey answers per day (or week)."""
    points = [(d, v) for d, v in zip(days, csat, strict=True) if v is not None]
    if len(points) < 2:
        return ""
    figure, axes = _figure(height=2.2)
    axes.plot(
        mdates.date2num([p[0] for p in points]),
        [p[1] for p in points],
        color=PALETTE[2],
        marker="o",
        markersize=3,
    )
    axes.set_ylim(0, 105)
    axes.set_ylabel("% satisfied")
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    axes.set_title("Customer satisfaction (CSAT 4–5)")
    return _encode(figure)


@cached
def followers(series: Mapping[str, Sequence[tuple[dt.date, int]]]) -> str:
    """Lines: followers per account over the month."""
    series = {name: points for name, points in series.items() if len(points) >= 2}
    if not series:
        return ""
    figure, axes = _figure(height=2.2)
    for index, (name, points) in enumerate(series.items()):
        axes.plot(
            mdates.date2num([p[0] for p in points]),
            [p[1] for p in points],
            label=name,
            color=PALETTE[index % len(PALETTE)],
        )
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    axes.set_title("Followers")
    axes.legend(loc="upper left")
    return _encode(figure)


@cached
def media_engagement(with_media: float | None, text_only: float | None) -> str:
    """Two bars: mean engagement of a post with a photo or video and of a text-only post."""
    if not with_media and not text_only:
        return ""
    figure, axes = _figure(width=3.2, height=2.2)
    values = [with_media or 0, text_only or 0]
    axes.bar(["with photo/video", "text only"], values, color=[PALETTE[0], GRID], width=0.55)
    for index, value in enumerate(values):
        axes.annotate(
            f"{value:.1f}",
            xy=(index, value),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color=INK,
        )
    axes.set_title("Engagement per post")
    return _encode(figure)
