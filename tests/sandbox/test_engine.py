"""Scenario runs in the database: the clock, posts, reactions to the brand, command, task."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from rapport.jobs.scheduler import REGISTRY
from rapport.sandbox import services
from rapport.sandbox.models import (
    RunStatus,
    SandboxAccount,
    SandboxNotification,
    SandboxStatus,
    ScenarioRun,
    SimulatedCustomer,
)
from rapport.sandbox.tasks import tick_sandbox


def _texts(run: ScenarioRun) -> list[str]:
    return list(
        SandboxStatus.objects.filter(account__simulated__run=run)
        .order_by("id")
        .values_list("text", flat=True)
    )


def _customer_post(run: ScenarioRun, persona: str) -> tuple[SimulatedCustomer, SandboxStatus]:
    customer = run.customers.filter(persona=persona).select_related("account").first()
    assert customer is not None
    post = services.post_status(customer.account, text="@emberandoak this is not good enough")
    customer.waiting_on, customer.waiting_since = post, run.sim_now
    customer.save()
    return customer, post


def test_starting_a_run_creates_the_brand_and_its_cast(db):
    run = services.start_run(seed=3)

    assert run.brand.username == "emberandoak" and run.brand.is_brand
    assert run.customers.count() == 36
    assert run.brand.followers.count() > 5
    assert run.sim_now == run.sim_started_at


def test_advancing_posts_mentions_that_reach_the_brand(db):
    run = services.start_run(seed=3)

    report = services.advance(run, sim_seconds=6 * 3600)

    run.refresh_from_db()
    assert len(report.posts) > 5
    assert run.step == 1 and run.sim_now == run.sim_started_at + dt.timedelta(hours=6)
    assert SandboxNotification.objects.filter(account=run.brand, type="mention").exists()


def test_a_run_is_reproducible_from_its_seed(db):
    first = services.start_run(seed=11)
    for _ in range(3):
        services.advance(first, sim_seconds=3600)
    texts = _texts(first)
    services.reset_sandbox()

    second = services.start_run(seed=11)
    for _ in range(3):
        services.advance(second, sim_seconds=3600)

    assert texts and _texts(second) == texts


def test_a_quick_empathetic_reply_calms_an_angry_customer(db):
    run = services.start_run(seed=5)
    customer, post = _customer_post(run, "angry")
    mood = customer.mood
    reply = services.post_status(
        run.brand,
        text=f"@{customer.account.username} I'm so sorry about this. We'll refund you today.",
        in_reply_to=post,
    )

    report = services.advance(run, sim_seconds=60)

    customer.refresh_from_db()
    assert report.reactions[reply.pk] == "calmed"
    assert customer.mood > mood and customer.waiting_on is None
    answer = SandboxStatus.objects.get(in_reply_to=reply)
    assert answer.account_id == customer.account_id
    assert answer.mentions.filter(pk=run.brand.pk).exists()


def test_a_slow_curt_reply_makes_it_worse(db):
    run = services.start_run(seed=5)
    customer, post = _customer_post(run, "angry")
    SandboxStatus.objects.filter(pk=post.pk).update(
        created_at=post.created_at - dt.timedelta(hours=1)  # 20 simulated hours ago
    )
    reply = services.post_status(run.brand, text="Read the FAQ.", in_reply_to=post)

    report = services.advance(run, sim_seconds=60)

    customer.refresh_from_db()
    assert report.reactions[reply.pk] == "curt"
    assert customer.mood < 0 and customer.waiting_on is not None


def test_feeding_a_troll_escalates(db):
    run = services.start_run(seed=5)
    troll, post = _customer_post(run, "troll")
    reply = services.post_status(
        run.brand, text=f"@{troll.account.username} Sorry you feel that way!", in_reply_to=post
    )

    report = services.advance(run, sim_seconds=60)

    troll.refresh_from_db()
    assert report.reactions[reply.pk] == "troll_fed"
    assert troll.escalations == 1 and report.escalations


def test_an_ignored_customer_chases_the_brand(db):
    run = services.start_run(seed=5)
    customer, post = _customer_post(run, "unhappy")

    report = services.advance(run, sim_seconds=customer.patience_minutes * 60 + 60)

    chaser = SandboxStatus.objects.get(pk=report.chases[0])
    assert chaser.in_reply_to_id == post.pk and chaser.account_id == customer.account_id


def test_fans_favourite_the_brands_new_posts(db):
    run = services.start_run(seed=5)
    post = services.post_status(run.brand, text="Ethiopia Guji is here! #emberandoak")

    services.advance(run, sim_seconds=60)

    assert post.favourites.count() > 0


def test_tick_advances_by_real_time_times_speed(db):
    start = dt.datetime(2025, 5, 1, 12, 0, tzinfo=dt.UTC)
    run = services.start_run(seed=5, speed=60, now=start)

    report = services.tick(start + dt.timedelta(seconds=30))

    assert report is not None
    assert report.sim_to - report.sim_from == dt.timedelta(minutes=30)
    assert services.tick(start + dt.timedelta(seconds=30)) is None  # nothing new to play
    services.set_run_status(run, RunStatus.PAUSED)
    assert services.tick(start + dt.timedelta(hours=1)) is None


def test_seed_sandbox_gives_the_brand_a_known_token_and_is_repeatable(db, api):
    first = services.seed_sandbox(access_token="demo-token")
    again = services.seed_sandbox(access_token="demo-token")

    me = api("demo-token").get("/v1/accounts/verify_credentials").json()
    assert first.brand.pk == again.brand.pk == int(me["id"])
    assert first.run is not None and again.run is not None and first.run.pk == again.run.pk
    assert SandboxAccount.objects.filter(is_brand=True).count() == 1


def test_the_command_plays_steps_and_reports(db):
    out = StringIO()

    call_command("sandbox_run", "--seed", "8", "--steps", "2", "--token", "cmd-token", stdout=out)

    text = out.getvalue()
    assert "Playing cafe (seed 8, running)" in text
    assert text.count("step ") == 2
    assert ScenarioRun.objects.get().step == 2
    assert Client().get("/sandbox/").status_code == 200


def test_the_command_arms_faults_and_pauses(db):
    services.start_run(seed=1)
    out = StringIO()

    call_command(
        "sandbox_run", "--fault", "server_error", "--fault-count", "2", "--pause", stdout=out
    )

    assert "The next 2 API requests fail with server_error." in out.getvalue()
    assert ScenarioRun.objects.get().status == RunStatus.PAUSED


def test_the_worker_ticks_the_sandbox_periodically(db):
    run = services.start_run(seed=6)
    ScenarioRun.objects.filter(pk=run.pk).update(
        last_tick_at=run.last_tick_at - dt.timedelta(minutes=5)
    )

    posts = tick_sandbox.call()

    assert "rapport.sandbox.tasks.tick_sandbox" in {
        job.task.module_path for job in REGISTRY.values()
    }
    assert posts >= 0 and ScenarioRun.objects.get().step == 1


@pytest.mark.parametrize("name", ["nope", "../cafe"])
def test_an_unknown_scenario_is_a_clear_command_error(db, name):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("sandbox_run", "--scenario", name, "--new", stdout=StringIO())
