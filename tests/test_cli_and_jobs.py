import datetime as dt
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from rapport.cli import build_parser
from rapport.jobs import scheduler
from rapport.jobs.models import ScheduledJob
from rapport.lib.tasks import task

CALLS: list[str] = []


@task()
def _record_call() -> None:
    CALLS.append("ran")


@pytest.mark.parametrize("command", ["demo", "serve", "worker", "migrate", "createadmin", "check"])
def test_every_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])

    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: rapport {command}" in out and len(out) > 100


def test_production_start_without_a_secret_fails_clearly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DJANGO_"))}
    env["RAPPORT_DATA_DIR"] = str(tmp_path)

    result = subprocess.run(
        [sys.executable, "-m", "rapport", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "RAPPORT_SECRET_KEY is not set" in result.stderr


def test_demo_mode_generates_and_keeps_a_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DJANGO_"))}
    env.update(RAPPORT_DATA_DIR=str(tmp_path), RAPPORT_DEMO="1")
    env["DJANGO_SETTINGS_MODULE"] = "rapport.settings"
    code = (
        "import django\ndjango.setup()\n"
        "from django.conf import settings\nprint(settings.SECRET_KEY)"
    )
    argv = [
        sys.executable,
        "-c",
        code,
    ]

    first = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60).stdout
    second = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60).stdout

    assert len(first.strip()) > 40 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.fixture
def periodic(db):
    CALLS.clear()
    saved = dict(scheduler.REGISTRY)
    scheduler.REGISTRY.clear()
    scheduler.every(dt.timedelta(minutes=5), _record_call, name="test.record")
    yield
    scheduler.REGISTRY.clear()
    scheduler.REGISTRY.update(saved)


def test_two_workers_ticking_at_once_enqueue_a_run_once(periodic):
    now = timezone.now()

    first = scheduler.tick("worker-a", now)
    second = scheduler.tick("worker-b", now)

    assert first == ["test.record"] and second == []
    assert CALLS == ["ran"]
    assert ScheduledJob.objects.get(name="test.record").last_claimed_by == "worker-a"


def test_a_stale_claim_loses_to_the_worker_that_moved_the_schedule(periodic):
    now = timezone.now()
    scheduler.tick("worker-a", now)
    row = ScheduledJob.objects.get(name="test.record")
    stale_next_run = row.next_run_at - dt.timedelta(minutes=5)

    won = ScheduledJob.objects.filter(pk=row.pk, next_run_at=stale_next_run).update(
        last_claimed_by="b"
    )

    assert won == 0


def test_job_runs_again_after_its_interval(periodic):
    now = timezone.now()

    scheduler.tick("w", now)
    scheduler.tick("w", now + dt.timedelta(minutes=4))
    scheduler.tick("w", now + dt.timedelta(minutes=5, seconds=1))

    assert CALLS == ["ran", "ran"]
