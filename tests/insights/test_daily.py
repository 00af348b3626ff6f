"""The daily rollups give exactly the figures measured from the conversation rollups.

A random inbox of two and a half months in London (summer time ends on Sunday
25 October 2026) is measured both ways, then changed and refreshed incrementally.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

import pytest

from rapport.accounts.models import Team
from rapport.channels.models import Channel
from rapport.customers.models import Customer
from rapport.inbox.models import (
    BusinessCalendar,
    Conversation,
    DeliveryStatus,
    Message,
    SlaPolicy,
    SlaTarget,
    Status,
)
from rapport.insights import compare, daily, facts, metrics, report, social
from rapport.insights.models import (
    DailyDurations,
    DailyMentions,
    DailyTarget,
    DailyVolume,
    FactState,
)
from rapport.lib.business_hours import add_business_time
from rapport.publishing.models import Campaign

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
KINDS = ["question", "complaint", "complaint", "praise", "ugc", "other"]
CATEGORIES = ["delivery", "refund", "", "quality"]
# Hashtags as customers write them: any case, inside words, or only the word.
TEXTS = [
    "Late again #homebrew",
    "Where is it?",
    "Love it #HomeBrew!",
    "#homebrewing at last",
    "my homebrew kit",
    "x#HOMEBREW_club",
    "#_brew night",
    "#été glacé",
]


def local(month: int, day: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, tzinfo=LONDON)


OCTOBER = (local(10), local(11))
SEPTEMBER = (local(9), local(10))
PERIODS = [OCTOBER, SEPTEMBER, (local(10, 24), local(10, 27)), (local(9), local(11, 20))]


class Inbox:
    """Random conversations on an office calendar, written as the inbox writes them."""

    def __init__(self, org, agents) -> None:
        org.time_zone = "Europe/London"
        org.save(update_fields=["time_zone"])
        self.org = org
        self.agents = agents
        self.rng = random.Random(11)
        calendar = BusinessCalendar.objects.create(
            organisation=org,
            name="Office",
            time_zone="Europe/London",
            weekly_hours={str(day): [["09:00", "17:30"]] for day in range(6)},
        )
        self.policy = SlaPolicy.objects.create(
            organisation=org, name="Standard", calendar=calendar, is_default=True
        )
        SlaTarget.objects.create(
            policy=self.policy,
            first_response_minutes=60,
            next_response_minutes=120,
            resolution_minutes=960,
        )
        from rapport.inbox.sla import calendar_of

        self.calendar = calendar_of(calendar)
        self.channels = [
            Channel.objects.create(organisation=org, name=name, kind=kind)
            for name, kind in (("Email", "email"), ("Sandbox", "sandbox"), ("Mastodon", "mastodon"))
        ]
        self.teams = [Team.objects.create(organisation=org, name=n) for n in ("Care", "Social")]
        self.customer = Customer.objects.create(organisation=org, display_name="Pat")
        self.conversations: list[Conversation] = []

    def conversation(self, opened: dt.datetime) -> Conversation:
        rng = self.rng
        kind = rng.choice(KINDS)
        channel = rng.choice(self.channels)
        times, directions = [opened], ["in"]
        for step in range(1, rng.randint(1, 6)):
            times.append(times[-1] + dt.timedelta(minutes=rng.lognormvariate(4, 1.3)))
            directions.append("out" if step % 2 else "in")
        times = [t for t in times if t < NOW]
        directions = directions[: len(times)]
        first_out = next((t for t, d in zip(times, directions, strict=True) if d == "out"), None)
        resolved = None
        if first_out and rng.random() < 0.7:
            resolved = times[-1] + dt.timedelta(minutes=rng.uniform(1, 300))
            resolved = resolved if resolved < NOW else None
        conversation = Conversation.objects.create(
            organisation=self.org,
            channel=channel,
            customer=self.customer,
            team=rng.choice([*self.teams, None]),
            assignee=rng.choice([*self.agents, None]),
            kind=kind,
            intent=rng.choice(CATEGORIES) if kind == "complaint" else "",
            status=Status.RESOLVED if resolved else Status.OPEN,
            sla_policy=self.policy,
            created_at=opened,
            last_message_at=times[-1],
            first_responded_at=first_out,
            first_response_due_at=add_business_time(
                self.calendar, opened, dt.timedelta(minutes=60)
            ),
            resolution_due_at=add_business_time(self.calendar, opened, dt.timedelta(minutes=960)),
            resolved_at=resolved,
        )
        for when, direction in zip(times, directions, strict=True):
            self.message(conversation, direction, when)
        return conversation

    def message(self, conversation: Conversation, direction: str, when: dt.datetime) -> None:
        inbound = direction == "in"
        Message.objects.create(
            organisation=self.org,
            conversation=conversation,
            channel=conversation.channel,
            direction=direction,
            author_customer=self.customer if inbound else None,
            author_user=None if inbound else (conversation.assignee or self.agents[0]),
            text=self.rng.choice(TEXTS),
            sent_at=when,
            created_at=when,
            kind=conversation.kind if inbound else "",
            sentiment=round(self.rng.uniform(-1, 1), 2) if inbound else None,
            delivery_status=DeliveryStatus.RECEIVED if inbound else DeliveryStatus.SENT,
        )

    def fill(self, count: int) -> list[Conversation]:
        start = local(8, 28)
        span = (NOW - start).total_seconds()
        return [
            self.conversation(start + dt.timedelta(seconds=self.rng.uniform(0, span)))
            for _ in range(count)
        ]


@pytest.fixture
def inbox(org, alice, bob, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    built = Inbox(org, [alice, bob])
    built.conversations = built.fill(160)
    for name, hashtag in (("Home brew", "homebrew"), ("Brew", "_brew"), ("Summer", "été")):
        Campaign.objects.create(
            organisation=org, name=name, kind="ugc", hashtag=hashtag, starts_on=local(8, 1).date()
        )
    facts.refresh(org, full=True)
    return built


def assert_same_figures(org) -> None:
    """Every organisation-wide figure of each period is the same from the daily rollups."""
    for start, end in PERIODS:
        fast = metrics.service_summary(org, start, end, refresh=False)
        slow = metrics.service_summary(org, start, end, refresh=False, use_daily=False)
        # The fast one really read the daily rollups (and kept the durations)
        assert fast.samples and not slow.samples, (start, end)
        assert fast == slow, (start, end)
        rollups = daily.reader(org, start, end, NOW)
        for group in ("weekday", "weekend"):
            assert report.first_waits(
                org, start, end, group=group, rollups=rollups
            ) == report.first_waits(org, start, end, group=group)
        with_rollups = social.social_summary(org, start, end)
        FactState.objects.filter(organisation=org).update(days_zone="")
        without = social.social_summary(org, start, end)
        FactState.objects.filter(organisation=org).update(days_zone=org.time_zone)
        assert with_rollups == without
    october = metrics.service_summary(org, *OCTOBER, refresh=False)
    september = metrics.service_summary(org, *SEPTEMBER, refresh=False)
    quick = compare.from_summaries(org, list(compare.METRICS), october, september)
    for fast_one, key in zip(quick, compare.METRICS, strict=True):
        slow_one = compare.compare(org, key, OCTOBER, SEPTEMBER, refresh=False)
        assert (fast_one.current, fast_one.baseline, fast_one.result) == (
            slow_one.current,
            slow_one.baseline,
            slow_one.result,
        ), key


def rollup_rows(org) -> dict[str, list[tuple]]:
    fields: dict[Any, tuple[str, ...]] = {
        DailyVolume: ("day", "channel_id", "kind", "team_id", "category", "conversations",
                      "inbound_messages", "outbound_messages"),
        DailyTarget: ("day", "target", "answered", "met", "unanswered"),
        DailyDurations: ("day", "measure", "group", "count", "values"),
        DailyMentions: ("day", "channel_id", "total", "positive", "negative", "ugc"),
    }  # fmt: skip
    return {
        model.__name__: sorted(
            (
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in model.objects.filter(organisation=org).values_list(*names)
            ),
            key=repr,
        )
        for model, names in fields.items()
    }


def test_every_figure_is_the_same_from_the_daily_rollups(inbox):
    # Given the rollups built once; when the periods are measured both ways, then the same
    assert DailyDurations.objects.filter(organisation=inbox.org).exists()
    assert_same_figures(inbox.org)
    # And the report's monthly comparisons had durations on both sides to test
    october = metrics.service_summary(inbox.org, *OCTOBER, refresh=False)
    assert october.first_response.count > 10 and october.resolution.count > 10
    # And every campaign's hashtag was found (through the full-text index or not)
    campaigns = social.social_summary(inbox.org, *OCTOBER).campaigns
    assert all(campaign.ugc_items > 0 for campaign in campaigns), campaigns


def test_changes_are_refreshed_day_by_day_as_a_full_rebuild_would(inbox, alice):
    org = inbox.org
    conversations = inbox.conversations
    untouched = rollup_rows(org)
    state = FactState.objects.get(organisation=org)
    later = NOW + dt.timedelta(minutes=5)

    # When an old conversation gets a late reply and is resolved, another is reopened,
    # a third moves to another team, and a customer writes a backdated message
    answered = next(c for c in conversations if c.resolved_at is None and c.created_at < local(10))
    inbox.message(answered, "out", local(10, 2) + dt.timedelta(hours=10))
    Conversation.objects.filter(pk=answered.pk).update(
        resolved_at=local(10, 2) + dt.timedelta(hours=11),
        first_responded_at=answered.first_responded_at or local(10, 2) + dt.timedelta(hours=10),
        status=Status.RESOLVED,
        updated_at=later,
    )
    reopened = next(c for c in conversations if c.resolved_at and local(10) <= c.resolved_at)
    Conversation.objects.filter(pk=reopened.pk).update(
        resolved_at=None, status=Status.OPEN, updated_at=later
    )
    moved = next(c for c in conversations if c.team_id is None and c.created_at >= local(10))
    Conversation.objects.filter(pk=moved.pk).update(team=inbox.teams[0], updated_at=later)
    written = next(c for c in conversations if local(9, 10) < c.created_at < local(9, 20))
    inbox.message(written, "in", written.created_at + dt.timedelta(minutes=1))
    Conversation.objects.filter(pk=written.pk).update(updated_at=later)
    new = inbox.conversation(local(10, 25) + dt.timedelta(hours=1, minutes=30))  # DST ends
    Conversation.objects.filter(pk=new.pk).update(updated_at=later)
    changed = {c.pk for c in (answered, reopened, moved, written, new)}

    # And the rollups are refreshed incrementally
    FactState.objects.filter(pk=state.pk).update(refreshed_until=later - dt.timedelta(minutes=1))
    assert facts.refresh(org) == len(changed)
    incremental = rollup_rows(org)

    # Then the figures are those measured from the conversation rollups
    assert incremental != untouched
    assert_same_figures(org)
    # And the daily rollups are those a full rebuild makes
    facts.refresh(org, full=True)
    assert rollup_rows(org) == incremental


def test_a_new_time_zone_rebuilds_the_days(inbox):
    org = inbox.org
    org.time_zone = "Asia/Kolkata"  # half-hour offset: London's days no longer fit
    org.save(update_fields=["time_zone"])
    assert daily.reader(org, *OCTOBER, NOW) is None

    assert facts.maybe_changed(org)
    facts.refresh(org)

    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")
    october = (dt.datetime(2026, 10, 1, tzinfo=kolkata), dt.datetime(2026, 11, 1, tzinfo=kolkata))
    assert daily.reader(org, *october, NOW) is not None
    fast = metrics.service_summary(org, *october, refresh=False)
    slow = metrics.service_summary(org, *october, refresh=False, use_daily=False)
    assert fast.samples and fast == slow


def test_periods_the_days_cannot_answer_are_measured(inbox):
    org = inbox.org
    # Not whole local days, still running, or a team's view: measured from the conversations
    assert daily.reader(org, local(10) + dt.timedelta(hours=1), local(11), NOW) is None
    assert daily.reader(org, local(11), local(11, 30), NOW) is None
    team = metrics.service_summary(org, *OCTOBER, team=inbox.teams[0], refresh=False)
    assert not team.samples and team.volume_total > 0


def test_moods_test_from_sorted_values_counts_above_the_pooled_median():
    # scipy.stats.median_test's example: the pooled median is 34 (both samples together)
    current = [float(v) for v in (10, 14, 14, 18, 20, 22, 24, 25, 31, 31, 32, 39, 43, 43, 48, 49)]
    baseline = [float(v) for v in (28, 30, 31, 33, 34, 35, 36, 40, 44, 55, 57, 61, 91, 92, 99)]

    assert daily.mood_counts(current, baseline) == (5, 10)
    assert daily.quantiles_of(current).median == 28.0
