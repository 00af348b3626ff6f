"""Wire the demo organisation's channels to live traffic: the sandbox, a review feed, the web form.

The sandbox's persona engine posts as simulated customers; the worker's sync
job fetches those posts over HTTP through the Mastodon adapter, exactly as it
would from a real instance, so the inbox fills while the demo runs. Running it
again (another `rapport demo`, perhaps on another port) only re-points the
channels at the new address.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Organisation
from rapport.channels import services
from rapport.channels.models import Channel, ChannelKind
from rapport.connectors.events import EventKind, InboundEvent
from rapport.inbox.demo import DEMO_CUSTOMERS, FORM_SEEDS, SOCIAL_SEEDS
from rapport.inbox.services import ingest
from rapport.sandbox import services as sandbox_services
from rapport.sandbox.models import SandboxAccount
from rapport.sandbox.personas import load_scenario
from rapport.sandbox.services import seed_sandbox

SOCIAL_NAME = "Social (sandbox)"  # the name `inbox.demo.seed_inbox` gives its social channel
REVIEWS_NAME = "Reviews"
WEBFORM_NAME = "Web form"
REVIEW_FEED_PATH = "/static/channels/demo-reviews.xml"
DEMO_SCENARIO_SEED = 12


@transaction.atomic
def seed_channels(organisation: Organisation, *, base_url: str) -> list[Channel]:
    """Connect the demo's sandbox account, review feed and web form; return the channels.

    `base_url` is where this Rapport answers (the sandbox is served under it).
    """
    base_url = base_url.rstrip("/")
    # Seed 12 of the café scenario has customers posting from its first simulated
    # minutes, so a new demo shows live traffic within a minute (seed 7 is quiet for an hour).
    sandbox = seed_sandbox(seed=DEMO_SCENARIO_SEED)
    # Reviews and photos tag the brand rather than mention it: listen to its hashtags too.
    hashtags = list(load_scenario("cafe").hashtags)
    social_config = {"base_url": f"{base_url}/sandbox", "hashtags": hashtags}
    social_secrets = {"access_token": sandbox.access_token}
    channels = Channel.objects.filter(organisation=organisation, is_active=True)
    social = channels.filter(kind=ChannelKind.SANDBOX).order_by("id").first()
    if social is None:
        social = services.create_channel(
            None,
            organisation=organisation,
            name=SOCIAL_NAME,
            kind=ChannelKind.SANDBOX,
            config=social_config,
            secrets=social_secrets,
            sync_interval_seconds=15,
        ).channel
    else:
        social = services.update_channel(
            None, social, config=social_config, secrets=social_secrets, sync_interval_seconds=15
        )
    reviews = channels.filter(kind=ChannelKind.REVIEWS).order_by("id").first()
    review_config = {"url": f"{base_url}{REVIEW_FEED_PATH}"}
    if reviews is None:
        reviews = services.create_channel(
            None,
            organisation=organisation,
            name=REVIEWS_NAME,
            kind=ChannelKind.REVIEWS,
            config=review_config,
            sync_interval_seconds=300,
        ).channel
    else:
        reviews = services.update_channel(None, reviews, config=review_config)
    webform = channels.filter(kind=ChannelKind.WEBFORM).order_by("id").first()
    if webform is None:
        webform = services.create_channel(
            None, organisation=organisation, name=WEBFORM_NAME, kind=ChannelKind.WEBFORM
        ).channel
    _seed_traffic(sandbox.brand.username, webform)
    return [social, reviews, webform]


def _seed_traffic(brand_username: str, webform: Channel) -> None:
    """Give the demo its first customers: posts on the sandbox, messages on the web form.

    They travel the real paths (the sandbox is fetched by the sync job; the form
    goes through ingest), so an agent can answer every one. Idempotent: posts
    carry idempotency keys and form messages fixed external ids.
    """
    rng = random.Random(DEMO_SCENARIO_SEED)
    now = timezone.now()
    for n, text in enumerate(SOCIAL_SEEDS):
        handle, name = DEMO_CUSTOMERS[n % len(DEMO_CUSTOMERS)]
        username = re.sub(r"\W", "_", handle.lstrip("@"))[:30]
        account = SandboxAccount.objects.filter(username__iexact=username).first()
        if account is None:
            account = sandbox_services.create_account(username=username, display_name=name)
        body = text.format(n=rng.randint(10000, 99999))
        sandbox_services.post_status(
            account, text=f"@{brand_username} {body}", idempotency_key=f"demo-seed-{n}"
        )
    events = [
        InboundEvent(
            platform="webform",
            external_id=f"demo-form-{n}",
            kind=EventKind.FORM,
            text=body.format(n=rng.randint(10000, 99999)),
            subject=subject,
            author_handle="",
            author_email=f"customer{n}@mail.example",
            author_name=f"Web form customer {n + 1}",
            is_public=False,
            created_at=now - dt.timedelta(minutes=rng.randint(30, 900)),
        )
        for n, (subject, body) in enumerate(FORM_SEEDS)
    ]
    ingest(webform, events)
