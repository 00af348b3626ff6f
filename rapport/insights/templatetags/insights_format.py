"""Template filters for the dashboards: durations, shares and signed changes."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def duration(seconds: Any) -> str:
    """Format business seconds for people: "45 s", "12 min", "3 h 40 min", "2 d 4 h"."""
    if seconds is None or seconds == "":
        return "–"
    value = int(round(float(seconds)))
    if value < 60:
        return f"{value} s"
    minutes = value // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def percent(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "–"
    return f"{float(value):.{int(digits)}f}%"


@register.filter
def share(part: Any, whole: Any) -> str:
    """`part` as a percentage of `whole`, or a dash when there is no whole."""
    if not whole:
        return "–"
    return f"{100 * float(part) / float(whole):.0f}%"


@register.filter
def number(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "–"
    return f"{float(value):,.{int(digits)}f}"


@register.filter
def signed(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{float(value):+,.{int(digits)}f}"


@register.filter
def pvalue(value: Any) -> str:
    if value is None:
        return "–"
    if value < 0.001:
        return "p < 0.001"
    return f"p = {value:.3f}"


@register.filter
def signed_duration(seconds: Any) -> str:
    """A change in time with its sign: "+12 min", "−1 h 5 min"."""
    if seconds is None:
        return "–"
    value = float(seconds)
    return ("+" if value >= 0 else "−") + duration(abs(value))


@register.filter
def figure(value: Any) -> str:
    """A whole number without decimals, anything else to one decimal place."""
    if value is None:
        return "–"
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


@register.filter
def signed_figure(value: Any) -> str:
    if value is None:
        return "–"
    return ("+" if float(value) >= 0 else "−") + figure(abs(float(value)))
