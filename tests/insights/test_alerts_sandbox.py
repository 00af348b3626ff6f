"""The brand-risk detector on the sandbox's persona engine: a crisis is caught, a calm week not.

The engine plans a simulated week of customer posts (the café scenario, with or
without its payments crisis); each simulated quarter-hour goes through the real
`ingest` as one batch, and the detector runs as the ingest hook after commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from rapport.channels import services as channels
from rapport.channels.models import Channel
from rapport.connectors.events import EventKind, InboundEvent
from rapport.inbox.models import Notification
from rapport.inbox.services import ingest
from rapport.insights.models import Alert
from rapport.sandbox.personas import PersonaEngine, Scenario, load_scenario

STEP = dt.timedelta(minutes=15)


def sandbox_channel(org: Any) -> Channel:
    return channels.create_channel(
        None,
        organisation=org,
        name="Social (sandbox)",
        kind="sandbox",
        config={"base_url": "http://127.0.0.1:9/sandbox"},
        secrets={"access_token": "sandbox-brand-token"},
    ).channel


def stream(
    scenario: Scenario,
    channel: Channel,
    capture: Any,
    *,
    seed: int,
    days: float = 7,
) -> int:
    """Feed `days` of the scenario through ingest, a quarter-hour per batch; return posts."""
    engine = PersonaEngine(scenario, seed)
    cast = engine.cast()
    posted = 0
    steps = int(days * 24 * 4)
    for step in range(steps):
        frm = scenario.start + step * STEP
        posts = engine.plan(step, frm, frm + STEP, cast)
        events = [
            InboundEvent(
                platform="sandbox",
                external_id=f"{seed}-{step}-{n}",
                kind=EventKind.DIRECT_MESSAGE if post.visibility == "direct" else EventKind.MENTION,
                text=post.text,
                author_handle=cast[post.author].username,
                author_name=cast[post.author].display_name,
                created_at=frm + dt.timedelta(seconds=post.offset_seconds),
            )
            for n, post in enumerate(posts)
        ]
        if events:
            with capture(execute=True):
                ingest(channel, events, now=frm + STEP)
            posted += len(events)
    return posted


@pytest.fixture(scope="module")
def cafe() -> Scenario:
    return load_scenario("cafe")


def test_the_payments_crisis_raises_one_alert_within_minutes(
    org, sam, cafe, django_capture_on_commit_callbacks, mailoutbox
):
    channel = sandbox_channel(org)
    crisis = next(e for e in cafe.events if e.kind == "crisis")
    spike_starts = cafe.start + dt.timedelta(hours=crisis.at_hour)

    posted = stream(cafe, channel, django_capture_on_commit_callbacks, seed=9, days=4)

    alerts = list(Alert.objects.filter(organisation=org))
    assert posted > 300
    assert len(alerts) == 1, [a.title for a in alerts]
    alert = alerts[0]
    assert spike_starts <= alert.triggered_at <= spike_starts + dt.timedelta(minutes=45)
    assert alert.observed >= 6 and alert.p_value < 1e-3
    assert alert.ended_at is not None  # the crisis subsided and the detector noticed
    assert {"charged", "twice"} & set(alert.terms), alert.terms
    texts = list(alert.messages.values_list("text", flat=True))
    assert len(texts) >= 6
    # The payments posts and the "me too" replies under them make most of the alert.
    words = ("charge", "payment", "twice", "same here", "me too", "+1", "not just me")
    about_it = [t for t in texts if any(w in t.lower() for w in words)]
    assert len(about_it) > 0.6 * len(texts)
    assert Notification.objects.filter(user=sam, kind="brand_alert").count() == 1
    assert [m.to for m in mailoutbox if "Brand-risk alert" in m.subject] == [[sam.email]]


@pytest.mark.parametrize("seed", [1, 9])
def test_a_normal_week_raises_no_alert(org, sam, cafe, django_capture_on_commit_callbacks, seed):
    calm = dataclasses.replace(cafe, events=tuple(e for e in cafe.events if e.kind != "crisis"))
    channel = sandbox_channel(org)

    posted = stream(calm, channel, django_capture_on_commit_callbacks, seed=seed, days=7)

    assert posted > 400
    assert list(Alert.objects.filter(organisation=org).values_list("title", flat=True)) == []
    assert not Notification.objects.filter(kind="brand_alert").exists()
