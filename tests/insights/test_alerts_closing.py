"""Brand-risk alerts close by themselves once their stream has gone quiet, as the system."""

from __future__ import annotations

import datetime as dt

from rapport.accounts.models import AuditEntry
from rapport.connectors.events import EventKind, InboundEvent
from rapport.inbox.services import ingest
from rapport.insights import alerts, tasks
from rapport.insights.models import Alert
from rapport.jobs.scheduler import REGISTRY
from tests.insights.test_alerts_sandbox import sandbox_channel

NOW = dt.datetime(2026, 10, 14, 12, 0, tzinfo=dt.UTC)


def open_alert(organisation, last_signal_at):
    return Alert.objects.create(
        organisation=organisation,
        title="Spike in negative messages about “courier”",
        scopes=["negative"],
        started_at=last_signal_at - dt.timedelta(minutes=40),
        triggered_at=last_signal_at - dt.timedelta(minutes=30),
        last_signal_at=last_signal_at,
        observed=14,
        expected=1.5,
        p_value=1e-6,
    )


def message_at(channel, when, n=0):
    event = InboundEvent(
        platform="sandbox",
        external_id=f"m{when.isoformat()}-{n}",
        kind=EventKind.MENTION,
        text="Do you open on Sunday?",
        author_handle=f"customer{n}",
        created_at=when,
    )
    ingest(channel, [event], now=when)


def test_an_alert_quiet_for_two_hours_with_no_messages_is_closed_by_the_system(org):
    # Given an alert last fed at 09:30 and nothing received since
    alert = open_alert(org, NOW - dt.timedelta(hours=2, minutes=30))

    # When the worker's job runs at noon
    closed = alerts.close_quiet_alerts(NOW)

    # Then it is closed at its last signal, and the audit log says the system did it
    alert.refresh_from_db()
    assert closed == 1
    assert alert.ended_at == NOW - dt.timedelta(hours=2, minutes=30)
    entry = AuditEntry.objects.get(action="alert.closed")
    assert entry.actor is None and entry.actor_label == "system"
    assert entry.organisation == org and entry.object_id == str(alert.public_id)
    assert "no messages came in" in entry.changes["reason"]
    assert alerts.close_quiet_alerts(NOW + dt.timedelta(minutes=5)) == 0  # closed once


def test_a_recent_signal_keeps_the_alert_open(org):
    alert = open_alert(org, NOW - dt.timedelta(hours=1, minutes=50))

    assert alerts.close_quiet_alerts(NOW) == 0

    alert.refresh_from_db()
    assert alert.ended_at is None
    assert not AuditEntry.objects.filter(action="alert.closed").exists()


def test_a_stream_still_flowing_is_left_to_the_detector(org):
    # Given an alert whose last signal is old by the messages' own clock (a replay of an
    # earlier day) while messages are still being received
    channel = sandbox_channel(org)
    alert = open_alert(org, NOW - dt.timedelta(days=3))
    message_at(channel, NOW - dt.timedelta(minutes=10))  # (the detector's hook is not run)

    assert alerts.close_quiet_alerts(NOW) == 0
    alert.refresh_from_db()
    assert alert.ended_at is None


def test_an_alert_extended_meanwhile_is_not_closed(org):
    # Given the job read the alert, then the detector saw a new signal
    alert = open_alert(org, NOW - dt.timedelta(hours=3))
    Alert.objects.filter(pk=alert.pk).update(last_signal_at=NOW - dt.timedelta(minutes=5))

    # When the job tries to close what it read
    ended = alerts.end_alert(alert, reason="test")

    # Then the newer signal wins
    alert.refresh_from_db()
    assert ended is False and alert.ended_at is None


def test_the_ingest_path_records_its_closing_too(org, django_capture_on_commit_callbacks):
    # Given an open alert, and a calm message two and a half hours after its last signal
    channel = sandbox_channel(org)
    alert = open_alert(org, NOW - dt.timedelta(hours=2, minutes=30))

    with django_capture_on_commit_callbacks(execute=True):
        message_at(channel, NOW)

    alert.refresh_from_db()
    assert alert.ended_at == NOW - dt.timedelta(hours=2, minutes=30)
    assert AuditEntry.objects.get(action="alert.closed").actor_label == "system"


def test_the_job_is_scheduled_every_few_minutes():
    job = REGISTRY[tasks.close_quiet_alerts.name]

    assert job.interval <= dt.timedelta(minutes=15)
