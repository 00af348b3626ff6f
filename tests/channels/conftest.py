"""Fixtures for channel tests: a fake platform behind the Connector protocol, and channels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.utils import timezone

from rapport.accounts.models import Organisation, User
from rapport.channels import registry, services
from rapport.channels.models import Channel
from rapport.connectors.base import (
    FetchResult,
    MediaUpload,
    Metrics,
    PostResult,
    ProfileInfo,
    ReplyTarget,
    Unsupported,
)
from rapport.connectors.events import EventKind, InboundEvent

TOKEN = "s3cret-token-value-never-shown"


def event(
    n: int, *, text: str = "", author: str = "maya", at: dt.datetime | None = None
) -> InboundEvent:
    return InboundEvent(
        platform="sandbox",
        external_id=str(1000 + n),
        kind=EventKind.MENTION,
        text=text or f"@emberandoak question number {n}: where is my order?",
        author_handle=author,
        author_name=author.title(),
        created_at=at or timezone.now() - dt.timedelta(minutes=60 - n),
        thread_id=str(1000 + n),
    )


@dataclass
class FakePlatform:
    """A platform's state: what customers posted, what we posted, and failures to inject."""

    events: list[InboundEvent] = field(default_factory=list)
    fetch_failures: list[Exception] = field(default_factory=list)
    reply_failures: list[Exception] = field(default_factory=list)
    # Replies that are posted but whose answer is lost on the way back (a timeout).
    lose_reply_answers: int = 0
    posts: list[tuple[str, str, str]] = field(default_factory=list)  # (parent, text, key)
    fetch_cursors: list[str | None] = field(default_factory=list)
    reply_calls: int = 0
    lookups: int = 0


class FakeConnector:
    """The Connector protocol over a FakePlatform; no idempotency of its own, on purpose."""

    platform = "sandbox"

    def __init__(self, state: FakePlatform) -> None:
        self.state = state

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchResult:
        self.state.fetch_cursors.append(cursor)
        if self.state.fetch_failures:
            raise self.state.fetch_failures.pop(0)
        start = int(cursor or 0)
        batch = self.state.events[start : start + limit]
        return FetchResult(events=tuple(batch), next_cursor=str(start + len(batch)))

    def reply(
        self, target: ReplyTarget, text: str, *, idempotency_key: str, private: bool = False
    ) -> PostResult:
        self.state.reply_calls += 1
        if self.state.reply_failures:
            raise self.state.reply_failures.pop(0)
        self.state.posts.append((target.external_id, text, idempotency_key))
        posted = PostResult(external_id=f"post-{len(self.state.posts)}")
        if self.state.lose_reply_answers:
            from rapport.connectors.base import Transient

            self.state.lose_reply_answers -= 1
            raise Transient("Read timed out.")
        return posted

    def find_own_post(
        self, text: str, *, in_reply_to: str | None = None, idempotency_key: str = ""
    ) -> PostResult | None:
        self.state.lookups += 1
        for index, (parent, posted_text, _) in enumerate(self.state.posts, start=1):
            if parent == in_reply_to and posted_text == text:
                return PostResult(external_id=f"post-{index}")
        return None

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        media: Sequence[MediaUpload] = (),
        spoiler_text: str = "",
    ) -> PostResult:
        raise Unsupported("not in this fake")

    def update_profile(
        self,
        *,
        display_name: str | None = None,
        bio: str | None = None,
        avatar: MediaUpload | None = None,
        header: MediaUpload | None = None,
    ) -> ProfileInfo:
        raise Unsupported("not in this fake")

    def metrics(self, post_ids: Sequence[str] = ()) -> Metrics:
        return Metrics(followers=0)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate-limit counters (the contact form's, the sandbox's) live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> FakePlatform:
    """A fake platform that every channel's connector talks to in this test."""
    state = FakePlatform()
    monkeypatch.setattr(registry, "build_connector", lambda channel: FakeConnector(state))
    return state


@pytest.fixture
def social(ada: User, org: Organisation) -> Channel:
    """A sandbox channel of Northwind, with a stored token, due for sync now."""
    return services.create_channel(
        ada,
        name="Social",
        kind="sandbox",
        config={"base_url": "http://sandbox.invalid/sandbox"},
        secrets={"access_token": TOKEN},
        now=timezone.now() - dt.timedelta(seconds=1),
    ).channel


def refreshed(channel: Channel) -> Channel:
    channel.refresh_from_db()
    return channel


def later(seconds: float = 3600) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def when(value: dt.datetime | None) -> dt.datetime:
    """Return a scheduled time that the test expects to be set."""
    assert value is not None
    return value
