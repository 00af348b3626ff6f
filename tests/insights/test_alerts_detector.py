"""The detector's own rules: words, warm-up, time of day, hysteresis, message time."""

from __future__ import annotations

import datetime as dt

from rapport.connectors.events import EventKind, InboundEvent
from rapport.inbox.services import ingest
from rapport.insights import alerts
from rapport.insights.models import Alert, AlertBucket
from tests.insights.test_alerts_sandbox import sandbox_channel

START = dt.datetime(2025, 3, 10, 0, 0, tzinfo=dt.UTC)
CALM = [
    "Do you open on Sunday?",
    "What time does the Market Street shop close today?",
    "Is the cold brew available in litre bottles?",
    "Do you ship beans to Ireland?",
]


def feed(channel, capture, texts_at):
    for n, (text, at) in enumerate(texts_at):
        event = InboundEvent(
            platform="sandbox",
            external_id=f"{at.isoformat()}-{n}",
            kind=EventKind.MENTION,
            text=text,
            author_handle=f"customer{n % 40}",
            created_at=at,
        )
        with capture(execute=True):
            ingest(channel, [event], now=at)


def calm_day(days=1.0):
    quarter = dt.timedelta(minutes=15)
    return [(CALM[n % len(CALM)], START + n * quarter) for n in range(int(days * 96))]


def test_terms_keep_content_words_only():
    assert alerts.terms("Just been charged TWICE for order #EO123 @emberandoak, not happy!!") == [
        "charged",
        "twice",
        "order",
        "happy",
    ]


def test_a_spike_of_questions_about_one_word_raises_a_word_alert(
    org, sam, django_capture_on_commit_callbacks
):
    channel = sandbox_channel(org)
    feed(channel, django_capture_on_commit_callbacks, calm_day())
    spike_at = START + dt.timedelta(days=1, hours=1)
    spike = [
        (
            f"Does the {item} contain allergens? My son has a nut allergy",
            spike_at + dt.timedelta(minutes=2 * n),
        )
        for n, item in enumerate(
            ["cake", "bun", "syrup", "cookie", "muffin", "granola", "bar", "tart"]
        )
    ]

    feed(channel, django_capture_on_commit_callbacks, spike)

    [alert] = Alert.objects.filter(organisation=org)
    assert any(scope.startswith("term:allerg") for scope in alert.scopes), alert.scopes
    assert alert.triggered_at <= spike_at + dt.timedelta(minutes=16)
    assert alert.message_count >= 6


def test_nothing_is_judged_before_the_warm_up_and_the_buckets_use_message_time(
    org, django_capture_on_commit_callbacks
):
    channel = sandbox_channel(org)
    burst_at = START + dt.timedelta(minutes=5)
    burst = [("Absolutely furious, charged twice and nobody answers!", burst_at)] * 1 + [
        (f"Charged twice again, order {n}, this is a disgrace", burst_at + dt.timedelta(minutes=n))
        for n in range(10)
    ]

    feed(channel, django_capture_on_commit_callbacks, burst)

    assert not Alert.objects.exists()  # an hour-old organisation has no baseline yet
    bucket = AlertBucket.objects.get(organisation=org, scope="inbound", bucket_start=START)
    assert bucket.count == 11 and bucket.slot == 0


def test_one_spike_is_one_alert_and_a_later_one_is_another(
    org, sam, django_capture_on_commit_callbacks
):
    channel = sandbox_channel(org)
    feed(channel, django_capture_on_commit_callbacks, calm_day(1.5))

    def burst(at):
        return [
            (f"Charged twice for order {n}! Furious, refund me now", at + dt.timedelta(minutes=n))
            for n in range(0, 60, 4)
        ]

    first = START + dt.timedelta(days=1, hours=12)
    feed(channel, django_capture_on_commit_callbacks, burst(first))
    calm_after = [(CALM[n % 4], first + dt.timedelta(hours=1, minutes=15 * n)) for n in range(16)]
    feed(channel, django_capture_on_commit_callbacks, calm_after)
    second = first + dt.timedelta(hours=6)
    feed(channel, django_capture_on_commit_callbacks, burst(second))

    spikes = list(Alert.objects.order_by("triggered_at"))
    assert len(spikes) == 2
    assert spikes[0].ended_at is not None and spikes[0].message_count >= 10
    assert first <= spikes[0].triggered_at < first + dt.timedelta(minutes=30)
    assert second <= spikes[1].triggered_at < second + dt.timedelta(minutes=30)


def test_after_weeks_of_silence_the_first_burst_is_not_judged_against_an_empty_week(
    org, django_capture_on_commit_callbacks
):
    channel = sandbox_channel(org)
    feed(channel, django_capture_on_commit_callbacks, calm_day(2))
    back_at = START + dt.timedelta(days=23)
    burst = [
        (f"Charged twice for order {n}! Furious, refund me now", back_at + dt.timedelta(minutes=n))
        for n in range(0, 40, 4)
    ]

    feed(channel, django_capture_on_commit_callbacks, burst)

    # The last week holds no traffic at all: no baseline, so the detector warms up again.
    assert not Alert.objects.exists()


def test_a_week_of_a_handful_of_messages_is_no_baseline_to_raise_on(
    org, sam, django_capture_on_commit_callbacks
):
    # The demo's first start: a few messages spread over the past week, then its seeds at
    # once. Six complaints in half an hour against that is no spike anyone can measure.
    channel = sandbox_channel(org)
    thin = [(CALM[n % len(CALM)], START + dt.timedelta(hours=20 * n)) for n in range(8)]
    feed(channel, django_capture_on_commit_callbacks, thin)
    now = START + dt.timedelta(days=7)
    angry = [
        (
            f"Order #{n} never arrived, still waiting and nobody answers. Want a refund.",
            now + dt.timedelta(minutes=n),
        )
        for n in range(8)
    ]
    feed(channel, django_capture_on_commit_callbacks, angry)
    assert not Alert.objects.exists()
