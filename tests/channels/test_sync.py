"""Sync: exactly once inbound, and what each kind of failure does to a channel."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from rapport.channels import registry, services
from rapport.channels.models import ChannelHealth
from rapport.connectors.base import AuthRequired, Permanent, RateLimited, Transient
from rapport.inbox.models import Conversation, Message, Notification
from rapport.lib import crypto
from tests.channels.conftest import TOKEN, FakeConnector, event, later, refreshed, when


def _external_ids(channel):
    return sorted(Message.objects.filter(channel=channel).values_list("external_id", flat=True))


def test_a_sync_ingests_new_events_and_saves_the_cursor(social, platform):
    platform.events = [event(1), event(2)]

    outcome = services.sync_channel(social.pk)

    assert outcome == "synced"
    channel = refreshed(social)
    assert _external_ids(channel) == ["1001", "1002"]
    assert channel.cursor == "2" and channel.health == ChannelHealth.OK
    assert channel.last_success_at is not None and channel.failure_count == 0
    assert when(channel.next_sync_at) > timezone.now()


def test_the_same_batch_twice_makes_one_message_each(social, platform):
    platform.events = [event(1), event(2, author="tom")]
    services.sync_channel(social.pk)
    # The platform forgets our cursor and sends everything again.
    social.__class__.objects.filter(pk=social.pk).update(cursor="", next_sync_at=timezone.now())

    services.sync_channel(social.pk)

    assert _external_ids(social) == ["1001", "1002"]
    assert Conversation.objects.filter(channel=social).count() == 2


def test_a_crash_after_fetch_and_before_commit_refetches_and_doubles_nothing(
    social, platform, monkeypatch
):
    platform.events = [event(1), event(2), event(3)]
    real_success = services._record_success

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed between ingest and commit")

    monkeypatch.setattr(services, "_record_success", crash)

    assert services.sync_channel(social.pk) == "retrying"

    channel = refreshed(social)
    assert Message.objects.filter(channel=channel).count() == 0  # rolled back with the cursor
    assert channel.cursor == ""
    monkeypatch.setattr(services, "_record_success", real_success)
    platform.events.append(event(4))

    assert services.sync_channel(social.pk, now=later()) == "synced"

    assert platform.fetch_cursors == [None, None]  # the second fetch started from the old cursor
    assert _external_ids(social) == ["1001", "1002", "1003", "1004"]
    assert refreshed(social).cursor == "4"


def test_two_workers_claiming_one_sync_at_once_one_wins(social):
    first = services.claim_sync(social.pk)
    second = services.claim_sync(social.pk)

    assert first is not None and second is None


def test_a_stale_read_cannot_claim_after_another_worker_moved_the_schedule(social):
    # Two workers read the same due time; the first to update wins, the second matches nothing.
    seen = refreshed(social).next_sync_at
    assert services.claim_sync(social.pk) is not None

    won = social.__class__.objects.filter(pk=social.pk, next_sync_at=seen).update(
        next_sync_at=timezone.now()
    )

    assert won == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_syncs_of_one_channel_fetch_once(ada, org, monkeypatch):
    if connection.vendor == "sqlite":
        pytest.skip("threads share no SQLite in-memory database; PostgreSQL runs this")
    from tests.channels.conftest import FakePlatform

    state = FakePlatform(events=[event(1)])
    monkeypatch.setattr(registry, "build_connector", lambda channel: FakeConnector(state))
    channel = services.create_channel(
        ada,
        name="Social",
        kind="sandbox",
        config={"base_url": "http://x.invalid"},
        secrets={"access_token": TOKEN},
        now=timezone.now() - dt.timedelta(seconds=1),
    ).channel
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        outcomes.append(services.sync_channel(channel.pk))
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["skipped", "skipped", "skipped", "synced"]
    assert len(state.fetch_cursors) == 1
    assert Message.objects.filter(channel=channel).count() == 1


def test_a_rate_limit_waits_until_the_reset_time(social, platform):
    reset = timezone.now() + dt.timedelta(minutes=7)
    platform.fetch_failures = [RateLimited("slow down", reset_at=reset)]

    assert services.sync_channel(social.pk) == "rate_limited"

    channel = refreshed(social)
    assert reset < when(channel.next_sync_at) < reset + dt.timedelta(minutes=1)
    assert channel.health == ChannelHealth.OK and channel.failure_count == 0
    assert "Rate limited" in channel.last_error
    assert services.sync_channel(social.pk) == "skipped"  # not before the reset
    assert services.sync_channel(social.pk, now=reset + dt.timedelta(minutes=2)) == "synced"


def test_transient_errors_back_off_exponentially_then_flag_the_channel(social, platform, ada):
    platform.fetch_failures = [Transient("503 from the server")] * services.FAILURES_BEFORE_DEGRADED
    now = timezone.now()
    waits = []

    for _ in range(services.FAILURES_BEFORE_DEGRADED):
        assert services.sync_channel(social.pk, now=now) == "retrying"
        channel = refreshed(social)
        waits.append((when(channel.next_sync_at) - now).total_seconds())
        now = when(channel.next_sync_at)

    assert waits[1] > waits[0] * 1.3 and waits[3] > waits[2] * 1.3  # doubling, with jitter
    assert channel.failure_count == services.FAILURES_BEFORE_DEGRADED
    assert channel.health == ChannelHealth.DEGRADED
    assert Notification.objects.filter(user=ada, kind="channel_health").count() == 1
    assert services.sync_channel(social.pk, now=now) == "synced"
    channel = refreshed(social)
    assert channel.health == ChannelHealth.OK and channel.failure_count == 0
    assert (
        Notification.objects.filter(user=ada, kind="channel_health").count() == 2
    )  # "working again"


def test_an_auth_error_asks_admins_to_reconnect_and_keeps_the_token(social, platform, ada, alice):
    platform.fetch_failures = [AuthRequired("The access token is invalid", status=401)]

    assert services.sync_channel(social.pk) == "auth_required"

    channel = refreshed(social)
    assert channel.health == ChannelHealth.AUTH_REQUIRED
    assert channel.next_sync_at is None  # no hammering with a refused token
    assert registry.secrets_of(channel) == {"access_token": TOKEN}
    note = Notification.objects.get(user=ada, kind="channel_health")
    assert "reconnected" in note.text and "Social" in note.text
    assert not Notification.objects.filter(user=alice).exists()


def test_new_credentials_clear_auth_required_and_sync_at_once(social, platform, ada):
    platform.fetch_failures = [AuthRequired("revoked")]
    services.sync_channel(social.pk)

    services.update_channel(ada, refreshed(social), secrets={"access_token": "new-token"})

    channel = refreshed(social)
    assert channel.health == ChannelHealth.OK and when(channel.next_sync_at) <= timezone.now()
    assert registry.secrets_of(channel) == {"access_token": "new-token"}
    assert services.sync_channel(channel.pk) == "synced"


def test_a_permanent_error_flags_the_channel_at_once(social, platform, ada):
    platform.fetch_failures = [Permanent("The account was suspended", status=403)]

    assert services.sync_channel(social.pk) == "failed"

    channel = refreshed(social)
    assert channel.health == ChannelHealth.DEGRADED
    assert when(channel.next_sync_at) - timezone.now() > dt.timedelta(minutes=50)
    assert Notification.objects.filter(user=ada, text__contains="suspended").exists()


def test_an_undecryptable_token_is_an_auth_problem_not_a_crash(social, ada):
    social.__class__.objects.filter(pk=social.pk).update(
        secrets_encrypted=crypto._cipher(crypto.generate_key()).encrypt(b"{}").decode()
    )

    assert services.sync_channel(social.pk) == "auth_required"
    assert "RAPPORT_ENCRYPTION_KEY" in refreshed(social).last_error


def test_a_paused_channel_is_not_synced(social, platform, ada):
    platform.events = [event(1)]
    services.pause_channel(ada, social)

    assert services.sync_channel(social.pk) == "skipped"
    assert services.due_channel_ids() == []
    assert platform.fetch_cursors == []


def test_the_periodic_job_syncs_every_due_channel(social, platform):
    platform.events = [event(1)]
    from rapport.channels import tasks

    assert tasks.sync_due_channels.call() == 1

    assert _external_ids(social) == ["1001"]


def test_the_fake_platform_follows_the_connector_protocol():
    from rapport.connectors.base import Connector
    from tests.channels.conftest import FakePlatform

    assert isinstance(FakeConnector(FakePlatform()), Connector)


def test_a_pause_during_a_sync_wins_over_the_sync_finishing(social, ada, monkeypatch):
    from tests.channels.conftest import FakePlatform

    class PausedMidway(FakeConnector):
        def fetch(self, cursor, limit=100):
            services.pause_channel(ada, social)
            return super().fetch(cursor, limit)

    state = FakePlatform(events=[event(1)])
    monkeypatch.setattr(registry, "build_connector", lambda channel: PausedMidway(state))

    assert services.sync_channel(social.pk) == "synced"

    channel = refreshed(social)
    assert channel.is_paused and channel.health == ChannelHealth.PAUSED
    assert channel.next_sync_at is None
    assert _external_ids(channel) == ["1001"]  # what was fetched is kept
