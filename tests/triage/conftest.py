"""Fixtures for the triage tests: the packaged engine, loaded once."""

from __future__ import annotations

import pytest

from rapport.triage import Engine
from rapport.triage.engine import MODELS_DIR


@pytest.fixture(scope="session")
def engine() -> Engine:
    """Return an engine over the packaged heads, without any custom intents."""
    return Engine.load(MODELS_DIR)
