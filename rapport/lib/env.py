"""Typed readers for environment variables, used by settings.py.

Each reader raises ImproperlyConfigured with the variable's name when a value
cannot be parsed, so a typo in a deployment fails at start, not at first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """Return the variable as a string, or the default when it is unset."""
    return (environ if environ is not None else os.environ).get(name, default)


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    """Return the variable as a boolean (1/true/yes/on or 0/false/no/off)."""
    raw = (environ if environ is not None else os.environ).get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    """Return the variable as an integer."""
    raw = (environ if environ is not None else os.environ).get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(
    name: str, default: list[str] | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Return the variable as a comma-separated list, blanks dropped."""
    raw = (environ if environ is not None else os.environ).get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Return the variable as an absolute path."""
    raw = (environ if environ is not None else os.environ).get(name)
    return Path(raw).expanduser().resolve() if raw else default.resolve()
