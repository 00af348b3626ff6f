"""Platform research: the dated starting set, team edits, scores, and a selection with history."""
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from rapport.accounts.models import Organisation, User
from rapport.publishing import research
from rapport.publishing.models import PlatformDecision, PlatformFact, PlatformProfile

pytestmark = pytest.mark.django_db

REQUIRED = {"mastodon", "bluesky", "facebook", "instagram", "tiktok", "youtube", "linkedin", "x"}
REQUIRED |= {"threads", "pinterest"}


def test_starting_set_covers_the_platforms_with_sources_and_dates() -> None:
    data = research.seed_data()
    slugs = {p["slug"] for p in data["platforms"]}

    assert slugs >= REQUIRED
    assert "starting point" in data["about"] and "verify" in data["about"]
    for platform in data["platforms"]:
        aspects = {f["aspect"] for f in platform["facts"]}
        assert aspects == {
            "audience",
            "features",
            "reach",
            "business_fit",
            "usability",
            "privacy",
            "costs",
        }, platform["slug"]
        for fact in platform["facts"]:
            assert fact["source_name"] and fact["source_url"].startswith("https://"), fact
            assert fact["as_of"] <= data["compiled_on"]


def test_loading_twice_adds_nothing_the_second_time(org: Organisation, mara: User) -> None:
    first = research.load_starting_set(org, actor=mara)
    second = research.load_starting_set(org, actor=mara)

    assert first == PlatformFact.objects.filter(platform__organisation=org).count() > 60
    assert second == 0
    assert PlatformProfile.objects.filter(organisation=org).count() == 10


def test_reloading_keeps_team_edits_and_deletions(org: Organisation, mara: User) -> None:
    research.load_starting_set(org)
    fact = PlatformFact.objects.filter(platform__slug="x", aspect="reach").get()
    research.update_fact(
        mara,
        fact,
        aspect="reach",
        text="Checked: our market's figure.",
        source_name=fact.source_name,
        source_url=fact.source_url,
        as_of=fact.as_of,
    )
    gone = PlatformFact.objects.filter(platform__slug="bluesky", aspect="costs").get()
    research.delete_fact(mara, gone)

    research.load_starting_set(org, actor=mara)

    fact.refresh_from_db()
    assert fact.text == "Checked: our market's figure." and fact.updated_by == mara
    assert not PlatformFact.objects.filter(platform__slug="bluesky", aspect="costs").exists()


def test_selection_needs_four_scored_platforms_and_keeps_its_history(
    org: Organisation, mara: User, morgan: User, api_as: Any
) -> None:
    research.load_starting_set(org)
    api = api_as(mara)
    record = api.post(
        "/publishing/research",
        {
            "title": "Where we post",
            "brand": "A warm neighbourhood café",
            "target_customer": "Locals aged 25-45",
        },
    ).json_body
    path = f"/publishing/research/{record['id']}"
    scores = {"audience_fit": 4, "business_fit": 4, "usability": 3, "privacy": 3, "cost": 5}

    for slug in ("instagram", "mastodon", "tiktok"):
        assert api.put(f"{path}/scores/{slug}", scores).status_code == 200
    too_early = api.post(
        f"{path}/decisions", {"platform": "instagram", "selected": True, "reason": "Photos"}
    )
    api.put(f"{path}/scores/linkedin", {**scores, "audience_fit": 1})
    chosen = api.post(
        f"{path}/decisions",
        {"platform": "instagram", "selected": True, "reason": "Our drinks photograph well"},
    )
    api_as(morgan).post(
        f"{path}/decisions",
        {"platform": "mastodon", "selected": True, "reason": "Local tech crowd"},
    )
    revisited = api_as(morgan).post(
        f"{path}/decisions",
        {"platform": "mastodon", "selected": False, "reason": "Too few locals there after all"},
    )

    assert too_early.status_code == 400 and too_early.json_body["code"] == "not_enough_research"
    assert chosen.status_code == 201
    body = revisited.json_body
    assert body["selected"] == ["instagram"]
    mastodon = next(p for p in body["platforms"] if p["platform"] == "mastodon")
    assert [d["selected"] for d in mastodon["history"]] == [False, True]
    assert mastodon["decision"]["reason"] == "Too few locals there after all"
    assert mastodon["decision"]["decided_by"] == morgan.display_name
    assert PlatformDecision.objects.count() == 3


def test_a_decision_needs_a_reason_and_a_score(org: Organisation, mara: User) -> None:
    research.load_starting_set(org)
    record = research.create_research(mara, title="T", brand="B", target_customer="C")
    for slug in ("instagram", "mastodon", "tiktok", "linkedin"):
        research.score_platform(
            mara,
            record,
            research.get_profile_for_user(mara, slug),
            audience_fit=3,
            business_fit=3,
            usability=3,
            privacy=3,
            cost=3,
        )

    with pytest.raises(research.DomainError):
        research.decide(
            mara, record, research.get_profile_for_user(mara, "x"), selected=True, reason="Why not"
        )
    with pytest.raises(research.DomainError):
        research.decide(
            mara, record, research.get_profile_for_user(mara, "tiktok"), selected=True, reason="  "
        )


def test_scores_out_of_range_are_refused(org: Organisation, mara: User, api_as: Any) -> None:
    research.load_starting_set(org)
    api = api_as(mara)
    record = api.post(
        "/publishing/research", {"title": "T", "brand": "B", "target_customer": "C"}
    ).json_body

    response = api.put(
        f"/publishing/research/{record['id']}/scores/instagram",
        {"audience_fit": 9, "business_fit": 3, "usability": 3, "privacy": 3, "cost": 3},
    )

    assert response.status_code == 422


def test_facts_are_edited_through_the_api_with_who(
    org: Organisation, mara: User, api_as: Any
) -> None:
    research.load_starting_set(org)
    api = api_as(mara)

    added = api.post(
        "/publishing/platforms/bluesky/facts",
        {
            "aspect": "reach",
            "text": "Our audit: 1,200 local followers possible.",
            "source_name": "Team count",
            "as_of": "2026-11-01",
        },
    )
    future = api.post(
        "/publishing/platforms/bluesky/facts",
        {"aspect": "reach", "text": "x", "as_of": "2099-01-01"},
    )

    assert added.status_code == 201 and added.json_body["updated_by"] == mara.display_name
    assert future.status_code == 400


def test_reader_roles_cannot_change_research(org: Organisation, ana: User, api_as: Any) -> None:
    research.load_starting_set(org)
    api = api_as(ana)

    assert api.get("/publishing/platforms").status_code == 200
    assert (
        api.post(
            "/publishing/research", {"title": "T", "brand": "B", "target_customer": "C"}
        ).status_code
        == 403
    )
    assert (
        api.post(
            "/publishing/platforms/bluesky/facts", {"aspect": "reach", "text": "x"}
        ).status_code
        == 403
    )


def test_outsider_sees_none_of_it(
    org: Organisation, mara: User, charlie: User, api_as: Any
) -> None:
    research.load_starting_set(org)
    record = research.create_research(mara, title="T", brand="B", target_customer="C")
    fact = PlatformFact.objects.filter(platform__organisation=org).first()
    assert fact is not None
    api = api_as(charlie)

    assert api.get("/publishing/platforms").json() == []
    assert api.get("/publishing/platforms/mastodon").status_code == 404
    assert api.get(f"/publishing/research/{record.public_id}").status_code == 404
    assert (
        api.put(f"/publishing/facts/{fact.public_id}", {"aspect": "reach", "text": "x"}).status_code
        == 404
    )
    assert api.delete(f"/publishing/facts/{fact.public_id}").status_code == 404


def test_comparison_page_shows_chosen_platforms_side_by_side(
    org: Organisation, mara: User, web_as: Any, django_assert_max_num_queries: Any
) -> None:
    research.load_starting_set(org)
    client = web_as(mara)

    with django_assert_max_num_queries(10):
        page = client.get(
            reverse("publishing:research_compare") + "?p=mastodon&p=bluesky&p=linkedin&p=tiktok"
        )

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('scope="col"') == 5  # the aspect column and four platforms
    assert "Pew Research Center" in html and "as of" in html


def test_starting_set_is_loaded_from_the_page(org: Organisation, mara: User, web_as: Any) -> None:
    client = web_as(mara)

    response = client.post(reverse("publishing:research_load"))

    assert response.status_code == 302
    assert PlatformProfile.objects.filter(organisation=org).count() == 10
