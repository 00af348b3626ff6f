"""The channel jobs: sync every 15 seconds, send replies every 10, look for silence every 5 min.

The periodic jobs only find the due rows and enqueue one task per row; each
task claims its row, so any number of workers may run them.
"""

from __future__ import annotations

import datetime as dt

from rapport.channels import services
from rapport.jobs.scheduler import every
from rapport.lib.tasks import task


@task()
def sync_channel(channel_id: int) -> str:
    """Sync one channel if it is still due and no other worker has it."""
    return services.sync_channel(channel_id)


@task()
def deliver_message(message_id: int) -> str:
    """Send one outbound reply if it is still waiting and no other worker has it."""
    return services.deliver_message(message_id)


@task()
def sync_due_channels() -> int:
    """Enqueue a sync of every due channel; return how many."""
    due = services.due_channel_ids()
    for channel_id in due:
        sync_channel.enqueue(channel_id)
    return len(due)


@task()
def deliver_scheduled_messages() -> int:
    """Put back replies whose worker died, then enqueue every due one; return how many."""
    services.recover_stuck_deliveries()
    due = services.due_delivery_ids()
    for message_id in due:
        deliver_message.enqueue(message_id)
    return len(due)


@task()
def check_silent_channels() -> str:
    """Flag channels gone quiet far beyond their normal traffic; clear those that woke up."""
    result = services.check_silent_channels()
    return f"{result.flagged} flagged, {result.cleared} cleared"


every(dt.timedelta(seconds=15), sync_due_channels)
# Silence is judged in hours, so a check every five minutes is plenty.
every(dt.timedelta(minutes=5), check_silent_channels)
every(dt.timedelta(seconds=10), deliver_scheduled_messages)
