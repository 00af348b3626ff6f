"""Platform research: dated, sourced platform profiles, a team's scores, and the platforms it chose.

The starting set in research_starting_set.json is loaded per organisation and is
then the team's to edit. Loading it again adds what is missing and never
overwrites what the team changed. A choice to use a platform (or not) is
appended with its reason; the latest choice per platform is the selection and
the earlier ones are its history, so revisiting a selection loses nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from rapport.accounts import audit
from rapport.accounts.models import Organisation, User
from rapport.accounts.roles import Cap
from rapport.accounts.services import require
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.publishing.models import (
    Aspect,
    PlatformDecision,
    PlatformFact,
    PlatformProfile,
    PlatformResearch,
    PlatformScore,
)

# Next to this module, so the package data rule ("*.json") ships it in wheels.
SEED_FILE = Path(__file__).parent / "research_starting_set.json"
# The issue asks a team to research at least this many platforms before choosing.
MIN_PLATFORMS_SCORED = 4
SCORE_CRITERIA = ("audience_fit", "business_fit", "usability", "privacy", "cost")
CRITERIA_LABELS = {
    "audience_fit": "Audience fit",
    "business_fit": "Business fit",
    "usability": "Usability",
    "privacy": "Privacy and security",
    "cost": "Cost",
}
_FACT_FIELDS = ("aspect", "text", "source_name", "source_url", "as_of")


@lru_cache(maxsize=1)
def seed_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    return data


# --- Reads ----------------------------------------------------------------------------------


def _require_view(viewer: User) -> None:
    if not viewer.can(Cap.PUBLISHING_VIEW):
        raise NotAllowed("Your role does not allow seeing platform research.")


def profiles_visible_to(viewer: User) -> QuerySet[PlatformProfile]:
    """Return the organisation's platform profiles with their facts prefetched."""
    _require_view(viewer)
    return (
        PlatformProfile.objects.filter(organisation_id=viewer.organisation_id)
        .select_related("updated_by")
        .prefetch_related(
            Prefetch("facts", queryset=PlatformFact.objects.select_related("updated_by"))
        )
    )


def get_profile_for_user(viewer: User, slug_or_id: str | uuid.UUID) -> PlatformProfile:
    profiles = profiles_visible_to(viewer)
    try:
        wanted = uuid.UUID(str(slug_or_id))
        found = profiles.filter(public_id=wanted).first()
    except ValueError:
        found = profiles.filter(slug=str(slug_or_id)).first()
    if found is None:
        raise NotFound("No such platform.")
    return found


def get_fact_for_user(viewer: User, public_id: str | uuid.UUID) -> PlatformFact:
    _require_view(viewer)
    try:
        return PlatformFact.objects.select_related("platform").get(
            public_id=uuid.UUID(str(public_id)),
            platform__organisation_id=viewer.organisation_id,
        )
    except (ValueError, PlatformFact.DoesNotExist):
        raise NotFound("No such fact.") from None


def research_visible_to(viewer: User) -> QuerySet[PlatformResearch]:
    _require_view(viewer)
    return PlatformResearch.objects.filter(organisation_id=viewer.organisation_id).select_related(
        "created_by"
    )


def get_research_for_user(viewer: User, public_id: str | uuid.UUID) -> PlatformResearch:
    try:
        return research_visible_to(viewer).get(public_id=uuid.UUID(str(public_id)))
    except (ValueError, PlatformResearch.DoesNotExist):
        raise NotFound("No such research record.") from None


@dataclass
class ComparisonRow:
    aspect: str
    label: str
    cells: list[list[PlatformFact]]


def comparison(profiles: list[PlatformProfile]) -> list[ComparisonRow]:
    """Return one row per aspect with each profile's facts on it, for the side-by-side page."""
    rows = []
    for aspect, label in Aspect.choices:
        cells = [[f for f in p.facts.all() if f.aspect == aspect] for p in profiles]
        rows.append(ComparisonRow(aspect=aspect, label=label, cells=cells))
    return rows


@dataclass
class PlatformStanding:
    platform: PlatformProfile
    score: PlatformScore | None
    decision: PlatformDecision | None
    history: list[PlatformDecision] = field(default_factory=list)


def standings(research: PlatformResearch) -> list[PlatformStanding]:
    """Return every platform of the organisation with its score and current decision.

    Sorted with selected platforms first, then by total score; three queries.
    """
    platforms = list(
        PlatformProfile.objects.filter(organisation_id=research.organisation_id).order_by("name")
    )
    scores = {s.platform_id: s for s in research.scores.select_related("scored_by")}
    history: dict[int, list[PlatformDecision]] = {}
    for decision in research.decisions.select_related("decided_by").order_by("-decided_at", "-id"):
        history.setdefault(decision.platform_id, []).append(decision)
    rows = [
        PlatformStanding(
            platform=p,
            score=scores.get(p.pk),
            decision=next(iter(history.get(p.pk, [])), None),
            history=history.get(p.pk, []),
        )
        for p in platforms
    ]

    def order(row: PlatformStanding) -> tuple[int, int, str]:
        selected = 0 if row.decision is not None and row.decision.selected else 1
        total = -(row.score.total if row.score else -1)
        return (selected, total, row.platform.name)

    return sorted(rows, key=order)


def selected_platforms(research: PlatformResearch) -> list[PlatformDecision]:
    """Return the current decisions that select a platform."""
    return [row.decision for row in standings(research) if row.decision and row.decision.selected]


# --- Seed -----------------------------------------------------------------------------------


@transaction.atomic
def load_starting_set(organisation: Organisation, *, actor: User | None = None) -> int:
    """Load the dated starting set into an organisation; return how many facts were added.

    Idempotent: only platforms the organisation does not have yet are added, with
    their facts. A platform already there belongs to the team, so loading again
    never brings back a fact the team corrected or removed.
    """
    if actor is not None:
        require(actor, Cap.PUBLISHING_WORK)
    existing = set(
        PlatformProfile.objects.filter(organisation=organisation).values_list("slug", flat=True)
    )
    added = 0
    for spec in seed_data()["platforms"]:
        if spec["slug"] in existing:
            continue
        profile = PlatformProfile.objects.create(
            organisation=organisation,
            slug=spec["slug"],
            name=spec["name"],
            summary=spec["summary"],
            website=spec.get("website", ""),
            updated_by=actor,
        )
        facts = PlatformFact.objects.bulk_create(
            PlatformFact(
                platform=profile,
                aspect=fact["aspect"],
                text=fact["text"],
                source_name=fact["source_name"],
                source_url=fact["source_url"],
                as_of=dt.date.fromisoformat(fact["as_of"]),
                updated_by=actor,
            )
            for fact in spec["facts"]
        )
        added += len(facts)
    if added:
        audit.record(
            actor,
            "platform_research.starting_set_loaded",
            None,
            organisation=organisation,
            object_type="platform_research",
            object_id=str(organisation.public_id),
            changes={"facts_added": [None, added]},
        )
    return added


# --- Profiles and facts ---------------------------------------------------------------------


@transaction.atomic
def create_profile(
    actor: User, *, name: str, slug: str, summary: str = "", website: str = ""
) -> PlatformProfile:
    """Add a platform the starting set does not have."""
    require(actor, Cap.PUBLISHING_WORK)
    name, slug = name.strip(), slug.strip().lower()
    if not name or not slug:
        raise DomainError("A platform needs a name and a short name.", code="invalid")
    if PlatformProfile.objects.filter(organisation_id=actor.organisation_id, slug=slug).exists():
        raise DomainError(f"A platform “{slug}” already exists.", code="duplicate")
    profile = PlatformProfile.objects.create(
        organisation_id=actor.organisation_id,
        name=name[:100],
        slug=slug[:40],
        summary=summary.strip(),
        website=website.strip(),
        updated_by=actor,
    )
    audit.record(actor, "platform.created", profile, changes={"name": [None, profile.name]})
    return profile


@transaction.atomic
def update_profile(
    actor: User, profile: PlatformProfile, *, name: str, summary: str, website: str = ""
) -> PlatformProfile:
    require(actor, Cap.PUBLISHING_WORK)
    before = audit.snapshot(profile, ("name", "summary", "website"))
    if not name.strip():
        raise DomainError("A platform needs a name.", code="invalid")
    profile.name, profile.summary = name.strip()[:100], summary.strip()
    profile.website = website.strip()
    profile.updated_by = actor
    profile.save()
    changes = audit.diff(before, audit.snapshot(profile, ("name", "summary", "website")))
    if changes:
        audit.record(actor, "platform.updated", profile, changes=changes)
    return profile


def _check_fact(aspect: str, text: str, as_of: dt.date | None) -> None:
    if aspect not in Aspect.values:
        raise DomainError(f"Unknown aspect “{aspect}”.", code="invalid_aspect")
    if not text.strip():
        raise DomainError("A fact needs its statement.", code="invalid")
    if as_of is not None and as_of > timezone.localdate():
        raise DomainError("A fact cannot be true as of a future date.", code="invalid_date")


@transaction.atomic
def add_fact(
    actor: User,
    profile: PlatformProfile,
    *,
    aspect: str,
    text: str,
    source_name: str = "",
    source_url: str = "",
    as_of: dt.date | None = None,
) -> PlatformFact:
    """Add a dated, sourced statement about a platform."""
    require(actor, Cap.PUBLISHING_WORK)
    _check_fact(aspect, text, as_of)
    fact = PlatformFact.objects.create(
        platform=profile,
        aspect=aspect,
        text=text.strip(),
        source_name=source_name.strip(),
        source_url=source_url.strip(),
        as_of=as_of,
        updated_by=actor,
    )
    audit.record(
        actor,
        "platform_fact.created",
        fact,
        organisation=actor.organisation,
        changes=audit.snapshot(fact, _FACT_FIELDS),
    )
    return fact


@transaction.atomic
def update_fact(
    actor: User,
    fact: PlatformFact,
    *,
    aspect: str,
    text: str,
    source_name: str,
    source_url: str,
    as_of: dt.date | None,
) -> PlatformFact:
    """Correct a fact; who changed it and when is kept on the fact and in the audit log."""
    require(actor, Cap.PUBLISHING_WORK)
    _check_fact(aspect, text, as_of)
    before = audit.snapshot(fact, _FACT_FIELDS)
    fact.aspect, fact.text = aspect, text.strip()
    fact.source_name, fact.source_url, fact.as_of = source_name.strip(), source_url.strip(), as_of
    fact.updated_by = actor
    fact.save()
    changes = audit.diff(before, audit.snapshot(fact, _FACT_FIELDS))
    if changes:
        audit.record(
            actor, "platform_fact.updated", fact, organisation=actor.organisation, changes=changes
        )
    return fact


@transaction.atomic
def delete_fact(actor: User, fact: PlatformFact) -> None:
    """Remove a fact; reloading the starting set will not bring it back."""
    require(actor, Cap.PUBLISHING_WORK)
    snapshot = {
        "platform": [fact.platform.slug, None],
        **{k: [v, None] for k, v in audit.snapshot(fact, _FACT_FIELDS).items()},
    }
    audit.record(
        actor, "platform_fact.deleted", fact, organisation=actor.organisation, changes=snapshot
    )
    fact.delete()


# --- Research, scores and decisions ---------------------------------------------------------


@transaction.atomic
def create_research(
    actor: User, *, title: str, brand: str, target_customer: str
) -> PlatformResearch:
    """Open a research record: the brand and the customer the platforms are compared against."""
    require(actor, Cap.PUBLISHING_WORK)
    if not title.strip() or not brand.strip() or not target_customer.strip():
        raise DomainError(
            "Research needs a title, the brand and the target customer.", code="invalid"
        )
    research = PlatformResearch.objects.create(
        organisation_id=actor.organisation_id,
        title=title.strip()[:200],
        brand=brand.strip(),
        target_customer=target_customer.strip(),
        created_by=actor,
    )
    audit.record(actor, "platform_research.created", research, changes={"title": [None, title]})
    return research


@transaction.atomic
def update_research(
    actor: User, research: PlatformResearch, *, title: str, brand: str, target_customer: str
) -> PlatformResearch:
    require(actor, Cap.PUBLISHING_WORK)
    if not title.strip() or not brand.strip() or not target_customer.strip():
        raise DomainError(
            "Research needs a title, the brand and the target customer.", code="invalid"
        )
    before = audit.snapshot(research, ("title", "brand", "target_customer"))
    research.title, research.brand = title.strip()[:200], brand.strip()
    research.target_customer = target_customer.strip()
    research.save()
    changes = audit.diff(before, audit.snapshot(research, ("title", "brand", "target_customer")))
    if changes:
        audit.record(actor, "platform_research.updated", research, changes=changes)
    return research


@transaction.atomic
def score_platform(
    actor: User,
    research: PlatformResearch,
    platform: PlatformProfile,
    *,
    notes: str = "",
    **scores: int,
) -> PlatformScore:
    """Record (or change) how well a platform fits, 1 to 5 on each criterion."""
    require(actor, Cap.PUBLISHING_WORK)
    if platform.organisation_id != research.organisation_id:
        raise NotFound("No such platform.")
    if set(scores) != set(SCORE_CRITERIA):
        raise DomainError(
            f"Score every criterion: {', '.join(SCORE_CRITERIA)}.", code="invalid_scores"
        )
    for name, value in scores.items():
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise DomainError(
                f"{CRITERIA_LABELS[name]} is scored from 1 to 5.", code="invalid_scores"
            )
    score, created = PlatformScore.objects.update_or_create(
        research=research,
        platform=platform,
        defaults={**scores, "notes": notes.strip(), "scored_by": actor},
    )
    audit.record(
        actor,
        "platform_research.scored",
        research,
        changes={
            "platform": [None, platform.slug],
            **{k: [None, v] for k, v in scores.items()},
        },
    )
    return score


@transaction.atomic
def decide(
    actor: User,
    research: PlatformResearch,
    platform: PlatformProfile,
    *,
    selected: bool,
    reason: str,
) -> PlatformDecision:
    """Choose to use a platform, or not, with the reason; earlier choices stay as history."""
    require(actor, Cap.PUBLISHING_WORK)
    if platform.organisation_id != research.organisation_id:
        raise NotFound("No such platform.")
    if not reason.strip():
        raise DomainError("Say why: the reason is what the team will revisit.", code="invalid")
    scored = PlatformScore.objects.filter(research=research)
    if scored.count() < MIN_PLATFORMS_SCORED:
        raise DomainError(
            f"Score at least {MIN_PLATFORMS_SCORED} platforms before choosing "
            f"({scored.count()} scored so far).",
            code="not_enough_research",
        )
    if not scored.filter(platform=platform).exists():
        raise DomainError(
            f"Score {platform.name} before deciding on it.", code="not_enough_research"
        )
    decision = PlatformDecision.objects.create(
        research=research,
        platform=platform,
        selected=selected,
        reason=reason.strip(),
        decided_by=actor,
        decided_at=timezone.now(),
    )
    audit.record(
        actor,
        "platform_research.decided",
        research,
        changes={
            "platform": [None, platform.slug],
            "selected": [None, selected],
            "reason": [None, decision.reason],
        },
    )
    return decision
