"""Silence: every kind of channel is flagged when it goes quiet far beyond its own traffic."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.channels import services, silence, tasks
from rapport.channels.models import Channel, ChannelHealth
from rapport.connectors import webhook
from rapport.connectors.events import EventKind, InboundEvent
from rapport.inbox.models import Message, Notification
from rapport.inbox.services import ingest
from rapport.jobs.scheduler import REGISTRY
from tests.channels.conftest import event, refreshed

SECRET = "whsec_silence_test_secret"
UTC = dt.UTC
# A Wednesday noon, so "the last four weeks" hold whole working weeks.
NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def office_hours(weeks: int = 3, *, until: dt.datetime = NOW) -> list[dt.datetime]:
    """Return one arrival in every working hour (Mon-Fri, 09-17 UTC) of the past weeks."""
    times = []
    moment = (until - dt.timedelta(weeks=weeks)).replace(minute=20, second=0, microsecond=0)
    while moment < until:
        if moment.weekday() < 5 and 9 <= moment.hour < 17:
            times.append(moment)
        moment += dt.timedelta(hours=1)
    return times


def with_history(channel: Channel, times: list[dt.datetime]) -> None:
    """Store one inbound message per time, as if each had arrived then."""
    events = [
        InboundEvent(
            platform=channel.kind,
            external_id=f"past-{n}",
            kind=EventKind.REVIEW,
            text=f"Order {n} arrived, thanks.",
            author_handle=f"customer{n % 7}@example.com",
            author_email=f"customer{n % 7}@example.com",
            created_at=at,
            is_public=False,
        )
        for n, at in enumerate(times)
    ]
    ingest(channel, events, now=times[0])
    for n, at in enumerate(times):
        Message.objects.filter(channel=channel, external_id=f"past-{n}").update(created_at=at)
    Channel.objects.filter(pk=channel.pk).update(created_at=times[0] - dt.timedelta(hours=1))
    channel.refresh_from_db()


@pytest.fixture
def hook(ada):
    return services.create_channel(
        ada, name="Shop webhook", kind="webhook", secrets={"webhook_secret": SECRET}
    ).channel


@pytest.fixture
def form(ada):
    return services.create_channel(ada, name="Web form", kind="webform").channel


# --- The model ---------------------------------------------------------------------------


def test_quiet_nights_are_normal_but_a_quiet_working_day_is_not():
    arrivals = office_hours()
    profile = silence.learn(arrivals, start=arrivals[0], end=arrivals[-1], zone=UTC)
    friday_evening = dt.datetime(2026, 11, 13, 16, 20, tzinfo=UTC)

    overnight = dt.datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # all weekend and Monday dawn
    monday_afternoon = dt.datetime(2026, 11, 16, 14, 0, tzinfo=UTC)

    assert not silence.is_silent(profile, last_active=friday_evening, now=overnight)
    assert silence.is_silent(profile, last_active=friday_evening, now=monday_afternoon)


def test_working_hours_are_read_in_the_organisations_time_zone():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    # 09-17 in Tokyo is 00-08 UTC.
    arrivals = [t - dt.timedelta(hours=9) for t in office_hours()]
    profile = silence.learn(arrivals, start=arrivals[0], end=arrivals[-1], zone=tokyo)
    assert profile is not None

    assert profile.share_at(dt.datetime(2026, 11, 17, 3, 0, tzinfo=UTC)) > 0.75  # noon in Tokyo
    assert profile.share_at(dt.datetime(2026, 11, 17, 12, 0, tzinfo=UTC)) < 0.1  # 21:00


def test_a_burst_counts_as_one_busy_hour_not_steady_traffic():
    start = NOW - dt.timedelta(days=14)
    # Twelve bursts of fifty messages, one a day: busy hours, but few of them.
    arrivals = [
        start + dt.timedelta(days=d, hours=10, seconds=s) for d in range(12) for s in range(50)
    ]
    profile = silence.learn(arrivals, start=start, end=arrivals[-1], zone=UTC)

    assert profile is not None and profile.active_hours == 12
    assert not silence.is_silent(profile, last_active=arrivals[-1], now=NOW)


def test_too_little_history_is_never_called_silence():
    arrivals = [NOW - dt.timedelta(days=2, minutes=5 * n) for n in range(40)]

    assert silence.learn(arrivals, start=arrivals[-1], end=arrivals[0], zone=UTC) is None
    assert not silence.is_silent(None, last_active=arrivals[0], now=NOW)


# --- The check, for every kind of channel ------------------------------------------------


def test_a_webhook_that_stops_posting_is_flagged_and_admins_are_told_once(hook, ada, morgan):
    with_history(hook, office_hours(until=NOW - dt.timedelta(days=2)))

    first = services.check_silent_channels(NOW)
    again = services.check_silent_channels(NOW + dt.timedelta(minutes=5))

    assert (first.flagged, again.flagged) == (1, 0)
    assert refreshed(hook).health == ChannelHealth.SILENT
    told = Notification.objects.filter(kind="channel_health", text__contains="silent")
    assert list(told.values_list("user__email", flat=True)) == [ada.email]  # admins only
    # The history ends on Monday noon: its last message came at 11:20, then nothing.
    assert "no customer message since Mon 16 Nov 11:20" in told.get().text
    assert (
        AuditEntry.objects.filter(action="channel.health", object_id=str(hook.public_id)).count()
        == 1
    )


def test_a_webhook_with_normal_traffic_is_left_alone(hook):
    with_history(hook, office_hours())

    assert services.check_silent_channels(NOW + dt.timedelta(minutes=30)).flagged == 0
    assert refreshed(hook).health == ChannelHealth.OK


def test_a_new_delivery_on_a_silent_webhook_clears_the_flag(client, hook):
    with_history(hook, office_hours(until=NOW - dt.timedelta(days=2)))
    services.check_silent_channels(NOW)
    body = json.dumps(
        {
            "external_id": "back-1",
            "kind": "review",
            "text": "Back!",
            "author_handle": "maya@example.com",
            "created_at": "2026-11-20T10:00:00Z",
        }
    ).encode()

    answer = client.generic(
        "POST",
        f"/channels/{hook.public_id}/webhook",
        body,
        content_type="application/json",
        headers=webhook.sign(SECRET, body),
    )

    assert answer.status_code == 202
    assert refreshed(hook).health == ChannelHealth.OK


def test_a_silent_contact_form_is_flagged_and_a_new_message_clears_it(client, org, form):
    with_history(form, office_hours(until=NOW - dt.timedelta(days=2)))
    services.check_silent_channels(NOW)
    assert refreshed(form).health == ChannelHealth.SILENT

    answer = client.post(
        f"/contact/{org.slug}/",
        {"name": "Maya", "email": "maya@example.com", "subject": "Hi", "message": "Still open?"},
    )

    assert answer.status_code == 200
    assert refreshed(form).health == ChannelHealth.OK


def test_the_check_clears_the_flag_when_traffic_came_back_another_way(hook):
    with_history(hook, office_hours(until=NOW - dt.timedelta(days=2)))
    services.check_silent_channels(NOW)
    with_history(hook, [*office_hours(until=NOW - dt.timedelta(days=2)), NOW])

    result = services.check_silent_channels(NOW + dt.timedelta(minutes=5))

    assert result.cleared == 1 and refreshed(hook).health == ChannelHealth.OK


def test_a_paused_channel_is_not_silent_and_a_resume_restarts_the_clock(hook, ada):
    with_history(hook, office_hours(until=NOW - dt.timedelta(days=2)))
    services.pause_channel(ada, hook, now=NOW - dt.timedelta(days=2))
    assert services.check_silent_channels(NOW).flagged == 0

    services.resume_channel(ada, hook, now=NOW - dt.timedelta(minutes=30))

    assert services.check_silent_channels(NOW).flagged == 0
    assert services.check_silent_channels(NOW + dt.timedelta(days=1)).flagged == 1


def test_a_failing_channel_keeps_its_own_flag(hook):
    with_history(hook, office_hours(until=NOW - dt.timedelta(days=2)))
    Channel.objects.filter(pk=hook.pk).update(health=ChannelHealth.DEGRADED)

    assert services.check_silent_channels(NOW).flagged == 0
    assert refreshed(hook).health == ChannelHealth.DEGRADED


def test_a_channel_that_never_had_traffic_is_not_silent(hook):
    assert services.check_silent_channels(NOW).flagged == 0


def test_the_check_costs_a_few_queries_per_channel(hook, form, django_assert_max_num_queries):
    with_history(hook, office_hours())
    with_history(form, office_hours())

    with django_assert_max_num_queries(1 + 2 * 2):
        services.check_silent_channels(NOW + dt.timedelta(hours=2))


# --- Polled channels ----------------------------------------------------------------------


def test_a_sync_with_nothing_new_keeps_a_silent_channel_flagged(social, platform):
    Channel.objects.filter(pk=social.pk).update(health=ChannelHealth.SILENT)

    assert services.sync_channel(social.pk) == "synced"
    assert refreshed(social).health == ChannelHealth.SILENT

    platform.events = [event(1)]
    services.sync_channel(social.pk, now=timezone.now() + dt.timedelta(minutes=2))
    assert refreshed(social).health == ChannelHealth.OK


def test_the_scheduler_runs_the_silence_check(db):
    job = REGISTRY[tasks.check_silent_channels.name]

    assert job.interval == dt.timedelta(minutes=5)
    assert tasks.check_silent_channels.call() == "0 flagged, 0 cleared"


def test_a_silence_longer_than_the_learning_window_stays_flagged(hook):
    with_history(hook, office_hours(until=NOW - dt.timedelta(days=2)))
    services.check_silent_channels(NOW)

    result = services.check_silent_channels(NOW + dt.timedelta(days=40))

    assert result.cleared == 0 and refreshed(hook).health == ChannelHealth.SILENT


def test_a_channel_with_a_few_old_messages_is_not_called_silent(hook):
    with_history(hook, [NOW - dt.timedelta(days=60), NOW - dt.timedelta(days=59)])

    assert services.check_silent_channels(NOW).flagged == 0
