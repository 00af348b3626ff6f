"""The demo organisation's October 2026 report: history seeded, recommendations that follow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rapport.accounts.demo import DEMO_SLUG, seed_demo
from rapport.accounts.models import Organisation
from rapport.channels.demo import seed_channels
from rapport.inbox.demo import seed_inbox
from rapport.insights import report
from rapport.insights.demo import seed_history
from rapport.insights.models import Alert
from rapport.surveys.demo import seed_surveys

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    seed_demo()
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    seed_inbox(organisation)
    seed_channels(organisation, base_url="http://127.0.0.1:8000")
    seed_surveys(organisation, now=NOW)
    assert seed_history(organisation, now=NOW) is True
    return organisation


def test_the_october_demo_report_recommends_what_its_history_shows(demo, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)

    built = report.build(demo, dt.date(2026, 10, 1))

    rules = {r.rule: r for r in built.recommendations}
    assert {"weekend_replies", "complaint_topic_rise", "posts_with_media"} <= set(rules), [
        r.title for r in built.recommendations
    ]
    assert rules["complaint_topic_rise"].key == "late_delivery"
    assert rules["complaint_topic_rise"].evidence["p_value"] < 0.05
    assert rules["weekend_replies"].evidence["times_the_standard"] >= 1.5
    assert rules["posts_with_media"].evidence["ratio"] >= 1.5
    october = Alert.objects.filter(organisation=demo, triggered_at__month=10)
    assert october.count() == 1 and "late" in october.get().title.lower() or october.get().terms
    assert built.service.volume_total > 500
    assert report.render_pdf(built).startswith(b"%PDF")
    assert seed_history(demo, now=NOW) is False  # a second run adds nothing
