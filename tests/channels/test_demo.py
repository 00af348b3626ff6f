"""The demo's channels: one sandbox channel wired with the brand's token, a review feed, a form."""

from __future__ import annotations

from rapport.channels import registry
from rapport.channels.demo import seed_channels
from rapport.channels.models import Channel
from rapport.sandbox.models import ScenarioRun


def test_the_demo_wires_its_channels_and_a_second_run_only_repoints_them(org):
    Channel.objects.create(organisation=org, name="Social (sandbox)", kind="sandbox")

    seed_channels(org, base_url="http://127.0.0.1:8000")
    seed_channels(org, base_url="http://127.0.0.1:8791/")

    social = Channel.objects.get(kind="sandbox")  # the inbox seed's channel, reused
    assert social.config["base_url"] == "http://127.0.0.1:8791/sandbox"
    assert "emberandoak" in social.config["hashtags"]
    assert registry.secrets_of(social)["access_token"]
    assert social.next_sync_at is not None
    reviews = Channel.objects.get(kind="reviews")
    assert reviews.config["url"] == "http://127.0.0.1:8791/static/channels/demo-reviews.xml"
    assert Channel.objects.filter(kind="webform").count() == 1
    assert ScenarioRun.objects.filter(status="running").count() == 1


def test_demo_traffic_arrives_on_channels_that_can_answer(db):
    from rapport.accounts.demo import DEMO_SLUG, seed_demo
    from rapport.accounts.models import Organisation
    from rapport.channels.demo import seed_channels
    from rapport.inbox.demo import SOCIAL_SEEDS, seed_inbox
    from rapport.inbox.models import Conversation
    from rapport.sandbox.models import SandboxStatus

    seed_demo()
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    seed_inbox(organisation)
    seed_channels(organisation, base_url="http://127.0.0.1:8000")
    seed_channels(organisation, base_url="http://127.0.0.1:8000")

    seeded = SandboxStatus.objects.filter(idempotency_key__startswith="demo-seed-")
    assert seeded.count() == len(SOCIAL_SEEDS)
    webform = Conversation.objects.filter(channel__kind="webform")
    assert webform.count() == 4 and all(c.sla_policy_id for c in webform)
