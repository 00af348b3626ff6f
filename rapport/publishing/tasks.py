"""The publishing jobs: publish due posts every 10 seconds, collect metrics and UGC.

The periodic jobs only find the due rows and enqueue one task per row; each
task claims its row, so any number of workers may run them.
"""

from __future__ import annotations

import datetime as dt

from rapport.jobs.scheduler import every
from rapport.lib.tasks import task
from rapport.publishing import services
from rapport.publishing.models import Campaign, CampaignKind


@task()
def publish_variant(variant_id: int) -> str:
    """Publish one post variant if it is still due and no other worker has it."""
    return services.publish_variant(variant_id)


@task()
def publish_due_posts() -> int:
    """Put back variants whose worker died, then enqueue every due one; return how many."""
    services.recover_stuck_variants()
    due = services.due_variant_ids()
    for variant_id in due:
        publish_variant.enqueue(variant_id)
    return len(due)


@task()
def collect_channel_metrics(channel_id: int) -> int:
    """Sample one account's followers and its recent posts' engagement."""
    return services.collect_metrics(channel_id)


@task()
def collect_post_metrics() -> int:
    """Enqueue a metrics sample of every account with posts published in the last 30 days."""
    channel_ids = services.channels_with_recent_posts()
    for channel_id in channel_ids:
        collect_channel_metrics.enqueue(channel_id)
    return len(channel_ids)


@task()
def collect_campaign_ugc(campaign_id: int) -> int:
    """Collect new posts under one UGC campaign's hashtag."""
    return services.collect_ugc(campaign_id)


@task()
def collect_all_ugc() -> int:
    """Enqueue a hashtag search for every running UGC campaign."""
    today = dt.date.today()
    ids = [
        campaign.pk
        for campaign in Campaign.objects.filter(kind=CampaignKind.UGC, archived=False).exclude(
            hashtag=""
        )
        if campaign.is_running(today)
    ]
    for campaign_id in ids:
        collect_campaign_ugc.enqueue(campaign_id)
    return len(ids)


every(dt.timedelta(seconds=10), publish_due_posts)
every(dt.timedelta(hours=1), collect_post_metrics)
every(dt.timedelta(minutes=15), collect_all_ugc)
