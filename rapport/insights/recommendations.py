"""Recommendations for continuous improvement: small rules over a month's measured figures.

Each rule reads `Measures` (numbers the report measured in the database), applies
a threshold and returns zero or more `Finding`s: a concrete suggestion, who should
act, and the evidence behind it. Rules never query; `report.build` measures once
and every rule reads the same numbers, so a test can hand a rule a few numbers
and check that it fires when the data warrants it and stays silent otherwise.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rapport.insights.compare import SIGNIFICANCE, mann_whitney, poisson_rates, two_proportions

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Finding:
    """One recommendation as a rule produced it, before it is recorded."""

    rule: str
    key: str
    title: str
    action: str
    owner: str
    evidence: dict[str, Any]
    # Sorts the report: a bigger gap from the standard or a larger effect comes first.
    weight: float = 1.0


@dataclass(frozen=True)
class Wait:
    """Customers' waits for a first reply (wall-clock seconds): how many and the median."""

    count: int = 0
    median_seconds: float | None = None


@dataclass(frozen=True)
class Measures:
    """What the rules read, measured by `report.build` for one month (and the one before)."""

    days: float = 30.0
    previous_days: float = 30.0
    # The default service standard's first-response target, in minutes.
    first_response_standard_minutes: int | None = None
    weekend_first_wait: Wait = field(default_factory=Wait)
    weekday_first_wait: Wait = field(default_factory=Wait)
    # Service-standard attainment: (met, total) per target, this month and the one before.
    first_response_met: tuple[int, int] = (0, 0)
    previous_first_response_met: tuple[int, int] = (0, 0)
    # Complaints opened per category.
    complaints: dict[str, int] = field(default_factory=dict)
    previous_complaints: dict[str, int] = field(default_factory=dict)
    # The words most of a category's complaints share this month ("courier", "parcel").
    complaint_words: dict[str, list[str]] = field(default_factory=dict)
    # CSAT: (satisfied answers, all answers).
    csat: tuple[int, int] = (0, 0)
    previous_csat: tuple[int, int] = (0, 0)
    # Social posts: each post's engagement, with a photo or video and text-only.
    media_engagement: tuple[float, ...] = ()
    text_engagement: tuple[float, ...] = ()
    # Best posting slots: (ISO weekday, hour, posts, mean engagement), and the overall mean.
    posting_slots: list[tuple[int, int, int, float]] = field(default_factory=list)
    mean_engagement: float | None = None
    # Conversations still open at the end of the month, older than a week.
    backlog_over_week: int = 0
    backlog_total: int = 0


Rule = Callable[[Measures], list[Finding]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def evaluate(measures: Measures) -> list[Finding]:
    """Return every rule's findings, most pressing first."""
    findings = [finding for function in RULES.values() for finding in function(measures)]
    return sorted(findings, key=lambda f: f.weight, reverse=True)


def duration(seconds: float | None) -> str:
    """Return '3 h 40 min', '45 min' or '2 d 4 h'."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


_LABELS = {
    "weekend_median_seconds": "weekend median wait",
    "weekday_median_seconds": "weekday median wait",
    "weekend_waits": "weekend first replies",
    "weekday_waits": "weekday first replies",
    "standard_minutes": "standard",
    "times_the_standard": "× the standard",
    "previous_count": "previous month",
    "previous_met": "met last month",
    "previous_total": "targets last month",
    "previous_satisfied": "satisfied last month",
    "previous_answers": "answers last month",
    "with_media_posts": "posts with media",
    "with_media_mean": "engagement per post with media",
    "text_only_posts": "text-only posts",
    "text_only_mean": "engagement per text-only post",
    "with_media_median": "median with media",
    "text_only_median": "median text-only",
    "overall_mean": "average engagement per post",
    "mean_engagement": "engagement per post in that slot",
    "over_a_week": "open over a week",
    "common_words": "words the complaints share",
}


def describe_evidence(evidence: dict[str, Any]) -> list[str]:
    """Return the evidence as short readable lines ("weekend median wait 6 h 43 min")."""
    lines = []
    for name, value in evidence.items():
        label = _LABELS.get(name, name.replace("_", " "))
        if value is None:
            continue
        if name.endswith("_seconds"):
            text = duration(float(value))
        elif name.endswith("_minutes"):
            text = duration(float(value) * 60)
        elif name == "p_value":
            lines.append(_p(float(value)))
            continue
        elif name in ("share", "floor", "rise"):
            text = f"{100 * float(value):.0f}%"
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        lines.append(f"{label} {text}")
    return lines


def _p(p_value: float | None) -> str:
    if p_value is None:
        return "p n/a"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


# --- The rules ----------------------------------------------------------------------------

# Weekend first replies slower than this multiple of the standard call for a roster change.
WEEKEND_SLOWER_THAN_STANDARD = 1.5
WEEKEND_MIN_WAITS = 8


@rule("weekend_replies")
def weekend_replies(m: Measures) -> list[Finding]:
    """Weekend customers wait much longer than the standard: roster someone at weekends."""
    standard = m.first_response_standard_minutes
    weekend = m.weekend_first_wait
    if not standard or weekend.count < WEEKEND_MIN_WAITS or weekend.median_seconds is None:
        return []
    ratio = weekend.median_seconds / (standard * 60)
    if ratio < WEEKEND_SLOWER_THAN_STANDARD:
        return []
    weekday = m.weekday_first_wait
    return [
        Finding(
            rule="weekend_replies",
            key="",
            title=(
                f"First replies at weekends took a median {duration(weekend.median_seconds)} "
                f"against a standard of {duration(standard * 60)}"
            ),
            action=(
                "Roster at least one agent on Saturday and Sunday mornings (or set an "
                "auto-reply that says when we answer) and re-check next month."
            ),
            owner="Supervisor (rota)",
            evidence={
                "weekend_median_seconds": weekend.median_seconds,
                "weekend_waits": weekend.count,
                "weekday_median_seconds": weekday.median_seconds,
                "weekday_waits": weekday.count,
                "standard_minutes": standard,
                "times_the_standard": round(ratio, 2),
            },
            weight=min(ratio, 10.0),
        )
    ]


# A first-response standard met less often than this (share) needs a look at staffing.
ATTAINMENT_FLOOR = 0.8
ATTAINMENT_MIN_TARGETS = 20


@rule("first_response_attainment")
def first_response_attainment(m: Measures) -> list[Finding]:
    """The first-response standard is missed too often, or clearly less often met than before."""
    met, total = m.first_response_met
    if total < ATTAINMENT_MIN_TARGETS:
        return []
    share = met / total
    before_met, before_total = m.previous_first_response_met
    test = two_proportions(met, total, before_met, before_total)
    worse = (
        before_total > 0
        and test.p_value is not None
        and test.p_value < SIGNIFICANCE
        and share < before_met / before_total
    )
    if share >= ATTAINMENT_FLOOR and not worse:
        return []
    before = f"{100 * before_met / before_total:.0f}%" if before_total else "n/a"
    if share >= ATTAINMENT_FLOOR:
        title = (
            f"First replies within the service standard fell from {before} to "
            f"{100 * share:.0f}% ({met} of {total}, {_p(test.p_value)})"
        )
    else:
        title = (
            f"Only {100 * share:.0f}% of first replies met the service standard "
            f"({met} of {total}; previous month {before}, {_p(test.p_value)})"
        )
    return [
        Finding(
            rule="first_response_attainment",
            key="",
            title=title,
            action=(
                "Check the hours when targets were missed on the service dashboard and move "
                "capacity to them; consider a macro for the most common first questions."
            ),
            owner="Supervisor",
            evidence={
                "met": met,
                "total": total,
                "share": round(share, 4),
                "previous_met": before_met,
                "previous_total": before_total,
                "test": test.test,
                "p_value": test.p_value,
                "floor": ATTAINMENT_FLOOR,
            },
            weight=1 + 5 * (ATTAINMENT_FLOOR - share),
        )
    ]


# A complaint category rising by this share, significantly, with enough cases, needs a review.
COMPLAINT_RISE = 0.25
COMPLAINT_MIN_CASES = 8


@rule("complaint_topic_rise")
def complaint_topic_rise(m: Measures) -> list[Finding]:
    """Complaints about one topic rose significantly: review what causes them."""
    findings = []
    for category, count in m.complaints.items():
        before = m.previous_complaints.get(category, 0)
        if count < COMPLAINT_MIN_CASES or not category or category == "uncategorised":
            continue
        rate_now, rate_before = count / m.days, before / m.previous_days
        if rate_now < rate_before * (1 + COMPLAINT_RISE):
            continue
        test = poisson_rates(count, m.days, before, m.previous_days)
        if test.p_value is None or test.p_value >= SIGNIFICANCE:
            continue
        rise = (rate_now / rate_before - 1) if rate_before else None
        label = category.replace("_", " ")
        rose = f"rose {100 * rise:.0f}%" if rise is not None else "appeared"
        words = m.complaint_words.get(category, [])[:3]
        mostly = f", many mentioning {', '.join(f'“{w}”' for w in words)}" if words else ""
        findings.append(
            Finding(
                rule="complaint_topic_rise",
                key=category[:120],
                title=(
                    f"Complaints about {label} {rose} ({before} → {count}, "
                    f"{_p(test.p_value)}){mostly}"
                ),
                action=(
                    f"Review the cause of the {label} complaints with whoever owns it"
                    + (f" (the words point at “{words[0]}”)" if words else "")
                    + ", agree one fix to try this month and check the count next month."
                ),
                owner="Manager (operations)",
                evidence={
                    "category": category,
                    "count": count,
                    "previous_count": before,
                    "days": m.days,
                    "previous_days": m.previous_days,
                    "rise": None if rise is None else round(rise, 3),
                    "common_words": words,
                    "test": test.test,
                    "p_value": test.p_value,
                },
                weight=2 + min(count / 10, 5),
            )
        )
    return findings


CSAT_MIN_ANSWERS = 20


@rule("csat_drop")
def csat_drop(m: Measures) -> list[Finding]:
    """Customer satisfaction fell significantly from the month before."""
    satisfied, answers = m.csat
    before_satisfied, before_answers = m.previous_csat
    if answers < CSAT_MIN_ANSWERS or before_answers < CSAT_MIN_ANSWERS:
        return []
    share, before = satisfied / answers, before_satisfied / before_answers
    test = two_proportions(satisfied, answers, before_satisfied, before_answers)
    if share >= before or test.p_value is None or test.p_value >= SIGNIFICANCE:
        return []
    return [
        Finding(
            rule="csat_drop",
            key="",
            title=(
                f"Satisfied customers fell from {100 * before:.0f}% to {100 * share:.0f}% "
                f"(n = {answers} and {before_answers}, {_p(test.p_value)})"
            ),
            action=(
                "Read this month's unhappy survey comments with the team leads and pick the "
                "most common cause to coach on or fix."
            ),
            owner="Team leads",
            evidence={
                "satisfied": satisfied,
                "answers": answers,
                "previous_satisfied": before_satisfied,
                "previous_answers": before_answers,
                "test": test.test,
                "p_value": test.p_value,
            },
            weight=3 + 10 * (before - share),
        )
    ]


MEDIA_RATIO = 1.5
# Posts of each kind needed before the rule judges: with five of each, complete separation
# gives an exact two-sided p of 2/252 = 0.008; with fewer, a handful of posts decides.
MEDIA_MIN_POSTS = 5


@rule("posts_with_media")
def posts_with_media(m: Measures) -> list[Finding]:
    """Posts with a photo earn clearly and significantly more than text-only ones: use more photos.

    Clearly: the mean engagement is at least MEDIA_RATIO times that of text-only posts.
    Significantly: the Mann-Whitney U test on the posts' engagement (two-sided, exact for
    small samples without ties) gives p < 0.05, so one viral photo among poor ones does
    not make a rule.
    """
    media, text = m.media_engagement, m.text_engagement
    if len(media) < MEDIA_MIN_POSTS or len(text) < MEDIA_MIN_POSTS:
        return []
    media_mean, text_mean = statistics.fmean(media), statistics.fmean(text)
    if not media_mean or not text_mean or media_mean / text_mean < MEDIA_RATIO:
        return []
    test = mann_whitney(media, text)
    if test.p_value is None or test.p_value >= SIGNIFICANCE:
        return []
    ratio = media_mean / text_mean
    return [
        Finding(
            rule="posts_with_media",
            key="",
            title=(
                f"Posts with a photo or video earned {ratio:.1f} times the engagement of "
                f"text-only posts ({media_mean:.1f} against {text_mean:.1f} per post; "
                f"{len(media)} and {len(text)} posts, {_p(test.p_value)})"
            ),
            action=(
                "Plan a photo or short video for every post next month; keep text-only posts "
                "for quick service updates."
            ),
            owner="Marketing",
            evidence={
                "with_media_posts": len(media),
                "with_media_mean": round(media_mean, 2),
                "with_media_median": round(statistics.median(media), 2),
                "text_only_posts": len(text),
                "text_only_mean": round(text_mean, 2),
                "text_only_median": round(statistics.median(text), 2),
                "ratio": round(ratio, 2),
                "test": test.test,
                "p_value": test.p_value,
            },
            weight=1 + min(ratio, 5),
        )
    ]


BEST_SLOT_RATIO = 1.5
BEST_SLOT_MIN_POSTS = 3


@rule("best_posting_time")
def best_posting_time(m: Measures) -> list[Finding]:
    """One posting slot clearly outperforms the rest: schedule more posts there."""
    if not m.mean_engagement:
        return []
    slots = [s for s in m.posting_slots if s[2] >= BEST_SLOT_MIN_POSTS]
    if not slots:
        return []
    weekday, hour, posts, mean = max(slots, key=lambda s: s[3])
    ratio = mean / m.mean_engagement
    if ratio < BEST_SLOT_RATIO:
        return []
    when = f"{WEEKDAYS[weekday - 1]}s at {hour:02d}:00"
    return [
        Finding(
            rule="best_posting_time",
            key="",
            title=(
                f"Posts on {when} earned {ratio:.1f} times the average engagement ({posts} posts)"
            ),
            action=f"Move two of next month's regular posts to {when} and compare.",
            owner="Marketing",
            evidence={
                "weekday": weekday,
                "hour": hour,
                "posts": posts,
                "mean_engagement": round(mean, 2),
                "overall_mean": round(m.mean_engagement, 2),
                "ratio": round(ratio, 2),
            },
            weight=1 + min(ratio, 4) / 2,
        )
    ]


OLD_BACKLOG_MIN = 10


@rule("old_backlog")
def old_backlog(m: Measures) -> list[Finding]:
    """Many conversations have waited over a week: clear them before they turn into complaints."""
    if m.backlog_over_week < OLD_BACKLOG_MIN:
        return []
    return [
        Finding(
            rule="old_backlog",
            key="",
            title=(
                f"{m.backlog_over_week} of {m.backlog_total} open conversations had waited "
                "more than a week at the end of the month"
            ),
            action=(
                "Hold a one-hour backlog session: close what is done, answer or hand over the "
                "rest, and set the longest ones as a priority for their owners."
            ),
            owner="Supervisor",
            evidence={"over_a_week": m.backlog_over_week, "open": m.backlog_total},
            weight=1 + min(m.backlog_over_week / 20, 4),
        )
    ]
