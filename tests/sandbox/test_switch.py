"""The production off switch: with RAPPORT_SANDBOX_ENABLED off, /sandbox/ does not exist."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rapport.sandbox import services
from rapport.sandbox.apps import check_sandbox_switched_off
from rapport.sandbox.models import SandboxStatus, ScenarioRun
from rapport.sandbox.tasks import tick_sandbox
from tests.sandbox.conftest import BRAND_TOKEN

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def off(settings):
    settings.RAPPORT_SANDBOX_ENABLED = False


@pytest.mark.parametrize(
    "path", ["/sandbox/", "/sandbox/@emberandoak", "/sandbox/tags/coffee", "/sandbox/api/v1/nope"]
)
def test_when_off_every_page_and_the_api_answer_404(off, client, brand, path):
    assert client.get(path).status_code == 404


def test_when_off_the_well_known_brand_token_opens_nothing(off, brand, api):
    brand_api = api(BRAND_TOKEN)

    assert brand_api.get("/v1/accounts/verify_credentials").status_code == 404
    assert brand_api.post("/v1/statuses", {"status": "hello"}).status_code == 404
    assert not SandboxStatus.objects.exists()


def test_when_off_the_persona_engine_does_not_run(off, db):
    run = services.start_run(seed=6)
    ScenarioRun.objects.filter(pk=run.pk).update(
        last_tick_at=run.last_tick_at - dt.timedelta(minutes=5)
    )

    assert tick_sandbox.call() == 0
    assert ScenarioRun.objects.get().step == 0


def test_when_on_the_pages_and_the_api_answer(settings, client, brand, api):
    settings.RAPPORT_SANDBOX_ENABLED = True

    assert client.get("/sandbox/").status_code == 200
    assert api(BRAND_TOKEN).get("/v1/accounts/verify_credentials").json()["username"] == (
        "emberandoak"
    )


def _default_in(**environ: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "RAPPORT_SECRET_KEY": "switch-test-secret-key-0123456789-0123456789",
        "RAPPORT_DATA_DIR": os.environ.get("RAPPORT_DATA_DIR", "/tmp/rapport-test-data"),
        **environ,
    }
    code = "import rapport.settings as s; print(s.RAPPORT_SANDBOX_ENABLED)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_it_is_off_by_default_and_on_in_demo_and_debug():
    assert _default_in() == "False"
    assert _default_in(RAPPORT_DEMO="1") == "True"
    assert _default_in(RAPPORT_DEBUG="1") == "True"
    assert _default_in(RAPPORT_DEMO="1", RAPPORT_SANDBOX_ENABLED="0") == "False"
    assert _default_in(RAPPORT_SANDBOX_ENABLED="1") == "True"


def test_a_production_start_with_the_sandbox_on_is_warned(settings):
    settings.DEBUG, settings.DEMO = False, False
    settings.RAPPORT_SANDBOX_ENABLED = True

    assert [w.id for w in check_sandbox_switched_off()] == ["sandbox.W001"]

    settings.RAPPORT_SANDBOX_ENABLED = False
    assert check_sandbox_switched_off() == []
    settings.DEMO, settings.RAPPORT_SANDBOX_ENABLED = True, True
    assert check_sandbox_switched_off() == []
