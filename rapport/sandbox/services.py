"""Every write to the sandbox network: posting, favouriting, uploading, and running scenarios.

The Mastodon-compatible API, the persona engine, the management command and
the tests all change the sandbox through these functions.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import filetype
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from rapport.accounts import audit
from rapport.lib.errors import DomainError
from rapport.sandbox import selectors
from rapport.sandbox.models import (
    FaultKind,
    NotificationType,
    RunStatus,
    SandboxAccount,
    SandboxFault,
    SandboxFavourite,
    SandboxFollow,
    SandboxMedia,
    SandboxNotification,
    SandboxStatus,
    SandboxTag,
    ScenarioRun,
    SimulatedCustomer,
    Visibility,
)
from rapport.sandbox.personas import PersonaEngine, PlannedPost, load_scenario, make_photo

MAX_CHARACTERS = 500
MAX_MEDIA_PER_STATUS = 4
MAX_MEDIA_BYTES = 8 * 1024 * 1024
MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"})
# The access token `rapport demo` gives the brand account, so the demo's
# sandbox channel works out of the box. Never used outside the sandbox.
DEMO_ACCESS_TOKEN = "sandbox-demo-token-emberandoak"
# One tick never simulates more than this, however long the sandbox slept.
MAX_SIM_SECONDS_PER_TICK = 6 * 3600
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
_MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_]{1,30})(?:@[\w.-]+)?")
_HASHTAG = re.compile(r"(?<![\w#&/])#(\w*[^\W\d_]\w*)")


class SandboxError(DomainError):
    """A request the sandbox refuses, answered the way Mastodon would (`{"error": ...}`)."""

    status = 422
    code = "unprocessable"

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def not_found() -> SandboxError:
    return SandboxError("Record not found", status=404)


# --- Accounts ----------------------------------------------------------------------------


@transaction.atomic
def create_account(
    *,
    username: str,
    display_name: str = "",
    note: str = "",
    is_brand: bool = False,
    bot: bool = False,
    access_token: str | None = None,
) -> SandboxAccount:
    """Create a sandbox account; with `access_token`, it can use the API with that token."""
    if not _USERNAME.match(username):
        raise SandboxError("Validation failed: Username only letters, numbers and underscores")
    if SandboxAccount.objects.filter(username__iexact=username).exists():
        raise SandboxError("Validation failed: Username has already been taken")
    return SandboxAccount.objects.create(
        username=username,
        display_name=display_name[:100],
        note=note,
        is_brand=is_brand,
        bot=bot,
        token_hash=selectors.hash_token(access_token) if access_token else None,
    )


@transaction.atomic
def issue_token(account: SandboxAccount, raw: str | None = None) -> str:
    """Give the account a new access token (replacing the old one) and return it."""
    raw = raw or secrets.token_urlsafe(32)
    account.token_hash = selectors.hash_token(raw)
    account.save(update_fields=["token_hash", "updated_at"])
    return raw


@transaction.atomic
def update_credentials(
    account: SandboxAccount,
    *,
    display_name: str | None = None,
    note: str | None = None,
    avatar: bytes | None = None,
    header: bytes | None = None,
) -> SandboxAccount:
    """Change an account's display name, bio, avatar or header."""
    if display_name is not None:
        if len(display_name) > 30:
            raise SandboxError("Validation failed: Display name is too long (maximum is 30)")
        account.display_name = display_name
    if note is not None:
        if len(note) > 500:
            raise SandboxError("Validation failed: Note is too long (maximum is 500)")
        account.note = note
    if avatar is not None:
        account.avatar = _store_media(account, avatar, "Avatar", images_only=True)
    if header is not None:
        account.header = _store_media(account, header, "Header", images_only=True)
    account.save()
    return account


@transaction.atomic
def follow(follower: SandboxAccount, target: SandboxAccount) -> SandboxFollow:
    found, created = SandboxFollow.objects.get_or_create(follower=follower, target=target)
    if created and follower.pk != target.pk:
        SandboxNotification.objects.create(
            account=target, from_account=follower, type=NotificationType.FOLLOW
        )
    return found


# --- Media -----------------------------------------------------------------------------------


@transaction.atomic
def upload_media(account: SandboxAccount, *, data: bytes, description: str = "") -> SandboxMedia:
    """Store an image or video for a later status; its type is sniffed from the bytes."""
    return _store_media(account, data, description)


def _store_media(
    account: SandboxAccount, data: bytes, description: str, *, images_only: bool = False
) -> SandboxMedia:
    if len(data) > MAX_MEDIA_BYTES:
        raise SandboxError("Validation failed: File is larger than 8 MB")
    kind = filetype.guess(data)
    mime = kind.mime if kind else ""
    allowed = {t for t in MEDIA_TYPES if t.startswith("image/")} if images_only else MEDIA_TYPES
    if mime not in allowed:
        raise SandboxError("Validation failed: File content type is invalid")
    return SandboxMedia.objects.create(
        account=account, data=data, mime_type=mime, description=description[:1500]
    )


# --- Statuses ----------------------------------------------------------------------------------


def post_status(
    account: SandboxAccount,
    *,
    text: str,
    in_reply_to: SandboxStatus | str | int | None = None,
    visibility: str = Visibility.PUBLIC,
    media_ids: Sequence[str | int] = (),
    spoiler_text: str = "",
    sensitive: bool = False,
    language: str = "",
    idempotency_key: str = "",
) -> SandboxStatus:
    """Post a status as `account`; a repeated idempotency key returns the first status."""
    idempotency_key = idempotency_key.strip()[:200]
    if idempotency_key:
        earlier = SandboxStatus.objects.filter(account=account, idempotency_key=idempotency_key)
        if found := earlier.first():
            return found
    try:
        with transaction.atomic():
            return _create_status(
                account,
                text=text,
                in_reply_to=in_reply_to,
                visibility=visibility,
                media_ids=media_ids,
                spoiler_text=spoiler_text,
                sensitive=sensitive,
                language=language,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # Two requests with one key raced; the other one's status is the answer.
        if idempotency_key:
            found = SandboxStatus.objects.filter(
                account=account, idempotency_key=idempotency_key
            ).first()
            if found:
                return found
        raise


def _create_status(
    account: SandboxAccount,
    *,
    text: str,
    in_reply_to: SandboxStatus | str | int | None,
    visibility: str,
    media_ids: Sequence[str | int],
    spoiler_text: str,
    sensitive: bool,
    language: str,
    idempotency_key: str,
) -> SandboxStatus:
    text = text.strip()
    if visibility not in Visibility.values:
        raise SandboxError("Validation failed: Visibility is not included in the list")
    if len(text) > MAX_CHARACTERS:
        raise SandboxError(f"Validation failed: Text character limit of {MAX_CHARACTERS} exceeded")
    media = _claim_media(account, media_ids)
    if not text and not media:
        raise SandboxError("Validation failed: Text can't be blank")
    parent = _parent(account, in_reply_to)
    status = SandboxStatus.objects.create(
        account=account,
        text=text,
        in_reply_to=parent,
        thread_root=(parent.thread_root or parent) if parent else None,
        visibility=visibility,
        spoiler_text=spoiler_text[:500],
        sensitive=sensitive,
        language=language[:8],
        idempotency_key=idempotency_key,
    )
    for item in media:
        item.status = status
        item.save(update_fields=["status", "updated_at"])
    mentioned = _mentioned_accounts(text)
    if mentioned:
        status.mentions.set(mentioned)
    tags = sorted({tag.lower()[:100] for tag in _HASHTAG.findall(text)})
    SandboxTag.objects.bulk_create([SandboxTag(status=status, name=tag) for tag in tags])
    SandboxNotification.objects.bulk_create(
        SandboxNotification(
            account=target, from_account=account, type=NotificationType.MENTION, status=status
        )
        for target in mentioned
        if target.pk != account.pk
    )
    return status


def _parent(
    account: SandboxAccount, in_reply_to: SandboxStatus | str | int | None
) -> SandboxStatus | None:
    if in_reply_to is None or in_reply_to == "":
        return None
    parent_id = str(in_reply_to.pk if isinstance(in_reply_to, SandboxStatus) else in_reply_to)
    if not parent_id.isdigit():
        raise not_found()
    parent = selectors.statuses_visible_to(account).filter(pk=int(parent_id)).first()
    if parent is None:
        raise not_found()
    return parent


def _claim_media(account: SandboxAccount, media_ids: Sequence[str | int]) -> list[SandboxMedia]:
    ids = [int(i) for i in media_ids if str(i).isdigit()]
    if len(ids) != len(media_ids) or len(ids) > MAX_MEDIA_PER_STATUS:
        raise SandboxError("Validation failed: Media ids are invalid")
    if not ids:
        return []
    media = list(
        SandboxMedia.objects.filter(account=account, pk__in=ids, status__isnull=True).defer("data")
    )
    if len(media) != len(set(ids)):
        raise SandboxError("Validation failed: Media ids are invalid")
    return media


def _mentioned_accounts(text: str) -> list[SandboxAccount]:
    names = {name.lower() for name in _MENTION.findall(text)}
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    return list(SandboxAccount.objects.filter(query))


def visible_status(viewer: SandboxAccount | None, status_id: str) -> SandboxStatus:
    """Return a status `viewer` may see, or raise the sandbox's 404."""
    if not str(status_id).isdigit():
        raise not_found()
    found = selectors.statuses_visible_to(viewer).filter(pk=int(status_id)).first()
    if found is None:
        raise not_found()
    return found


@transaction.atomic
def favourite(account: SandboxAccount, status: SandboxStatus) -> SandboxStatus:
    _, created = SandboxFavourite.objects.get_or_create(account=account, status=status)
    if created and status.account_id != account.pk:
        SandboxNotification.objects.create(
            account_id=status.account_id,
            from_account=account,
            type=NotificationType.FAVOURITE,
            status=status,
        )
    return status


@transaction.atomic
def unfavourite(account: SandboxAccount, status: SandboxStatus) -> SandboxStatus:
    SandboxFavourite.objects.filter(account=account, status=status).delete()
    return status


@transaction.atomic
def reblog(account: SandboxAccount, status: SandboxStatus) -> SandboxStatus:
    """Boost a public status; boosting twice returns the first boost."""
    if status.reblog_of_id:
        status = SandboxStatus.objects.get(pk=status.reblog_of_id)
    if status.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
        raise SandboxError("This action is not allowed", status=403)
    existing = SandboxStatus.objects.filter(account=account, reblog_of=status).first()
    if existing:
        return existing
    boost = SandboxStatus.objects.create(account=account, reblog_of=status, visibility="public")
    if status.account_id != account.pk:
        SandboxNotification.objects.create(
            account_id=status.account_id,
            from_account=account,
            type=NotificationType.REBLOG,
            status=status,
        )
    return boost


@transaction.atomic
def unreblog(account: SandboxAccount, status: SandboxStatus) -> SandboxStatus:
    SandboxStatus.objects.filter(account=account, reblog_of=status).delete()
    return status


# --- Faults --------------------------------------------------------------------------------------


@transaction.atomic
def force_faults(kind: str, *, count: int = 1, retry_after_seconds: int = 60) -> SandboxFault:
    """Make the next `count` API requests fail with `kind` (see FaultKind)."""
    if kind not in FaultKind.values:
        raise SandboxError(f"Unknown fault {kind!r}; one of {', '.join(FaultKind.values)}.")
    fault = SandboxFault.objects.create(
        kind=kind, remaining=max(1, count), retry_after_seconds=max(1, retry_after_seconds)
    )
    audit.record(None, "sandbox.fault.force", fault, changes={"kind": kind, "count": count})
    return fault


@transaction.atomic
def clear_faults() -> int:
    deleted, _ = SandboxFault.objects.all().delete()
    return deleted


def take_fault() -> SandboxFault | None:
    """Use up one forced failure, if any is armed, and return it."""
    for fault in SandboxFault.objects.filter(remaining__gt=0).order_by("id")[:3]:
        used = SandboxFault.objects.filter(pk=fault.pk, remaining=fault.remaining).update(
            remaining=fault.remaining - 1
        )
        if used == 1:
            return fault
        # Another request used it first; look at the next one.
    return None


# --- Scenario runs --------------------------------------------------------------------------------


@dataclass
class StepReport:
    """What one step of a scenario run did."""

    run_id: int
    step: int
    sim_from: dt.datetime
    sim_to: dt.datetime
    posts: list[int] = field(default_factory=list)
    reactions: dict[int, str] = field(default_factory=dict)  # brand status id -> outcome
    chases: list[int] = field(default_factory=list)
    escalations: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class SeededSandbox:
    brand: SandboxAccount
    access_token: str
    run: ScenarioRun | None


@transaction.atomic
def start_run(
    *,
    scenario: str = "cafe",
    seed: int = 1,
    speed: float | None = None,
    now: dt.datetime | None = None,
) -> ScenarioRun:
    """Start playing a scenario: the brand account, the cast of customers, the clock at its start.

    Any earlier run still going is finished first: one scenario plays at a time.
    """
    now = now or timezone.now()
    plan = load_scenario(scenario)
    engine = PersonaEngine(plan, seed)
    ScenarioRun.objects.filter(status=RunStatus.RUNNING).update(status=RunStatus.FINISHED)
    brand = SandboxAccount.objects.filter(username__iexact=plan.brand_username).first()
    if brand is None:
        brand = create_account(
            username=plan.brand_username,
            display_name=plan.brand_display_name,
            note=plan.brand_bio,
            is_brand=True,
        )
    run = ScenarioRun.objects.create(
        scenario=plan.name,
        seed=seed,
        speed=speed or plan.speed,
        brand=brand,
        sim_started_at=plan.start,
        sim_now=plan.start,
        last_tick_at=now,
        reacted_up_to=SandboxStatus.objects.order_by("-id").values_list("id", flat=True).first()
        or 0,
    )
    for index, member in enumerate(engine.cast()):
        account = SandboxAccount.objects.filter(username__iexact=member.username).first()
        if account is None or SimulatedCustomer.objects.filter(account=account).exists():
            username = member.username if account is None else f"{member.username[:24]}_{run.pk}"
            account = create_account(
                username=username, display_name=member.display_name, note=member.bio
            )
        SimulatedCustomer.objects.create(
            run=run,
            account=account,
            cast_index=index,
            persona=member.persona,
            patience_minutes=member.patience_minutes,
        )
        if member.follows_brand:
            follow(account, brand)
    audit.record(None, "sandbox.run.start", run, changes={"scenario": plan.name, "seed": seed})
    return run


def tick(now: dt.datetime | None = None) -> StepReport | None:
    """Advance the running scenario by the real time since its last tick, times its speed."""
    now = now or timezone.now()
    with transaction.atomic():
        run = (
            ScenarioRun.objects.select_for_update()
            .filter(status=RunStatus.RUNNING)
            .order_by("-id")
            .first()
        )
        if run is None:
            return None
        real_seconds = (now - run.last_tick_at).total_seconds()
        if real_seconds < 1:
            return None
        sim_seconds = min(real_seconds * run.speed, MAX_SIM_SECONDS_PER_TICK)
        return advance(run, sim_seconds=sim_seconds, now=now)


@transaction.atomic
def advance(run: ScenarioRun, *, sim_seconds: float, now: dt.datetime | None = None) -> StepReport:
    """Play `sim_seconds` of the scenario: reactions to the brand, chasers, then new posts."""
    now = now or timezone.now()
    engine = PersonaEngine(load_scenario(run.scenario), run.seed)
    sim_from = run.sim_now
    sim_to = sim_from + dt.timedelta(seconds=max(0.0, sim_seconds))
    report = StepReport(run_id=run.pk, step=run.step, sim_from=sim_from, sim_to=sim_to)
    customers = {
        c.cast_index: c
        for c in SimulatedCustomer.objects.filter(run=run).select_related("account", "waiting_on")
    }
    _react_to_brand(run, engine, customers, report)
    _chase(run, engine, customers, sim_to, report)
    cast = engine.cast()
    for index, planned in enumerate(engine.plan(run.step, sim_from, sim_to, cast)):
        customer = customers.get(planned.author)
        if customer is None:
            continue
        status = _post_planned(run, customer, customers, planned, key=f"{run.step}:{index}")
        report.posts.append(status.pk)
        if planned.kind in ("complaint", "question"):
            customer.waiting_on = status
            customer.waiting_since = sim_from + dt.timedelta(seconds=planned.offset_seconds)
            customer.save(update_fields=["waiting_on", "waiting_since", "updated_at"])
    run.sim_now = sim_to
    run.step += 1
    run.last_tick_at = now
    run.posts_made += len(report.posts)
    run.save(
        update_fields=[
            "sim_now",
            "step",
            "last_tick_at",
            "posts_made",
            "reacted_up_to",
            "updated_at",
        ]
    )
    return report


def _post_planned(
    run: ScenarioRun,
    customer: SimulatedCustomer,
    customers: dict[int, SimulatedCustomer],
    planned: PlannedPost,
    *,
    key: str,
) -> SandboxStatus:
    parent = None
    if planned.reply_to_issue:
        # "Me too": answer the latest open post on the same issue by someone else.
        others = [
            c
            for c in customers.values()
            if c.pk != customer.pk
            and c.waiting_on is not None
            and c.waiting_on.visibility == Visibility.PUBLIC
            and c.issue == planned.reply_to_issue
        ]
        if others:
            parent = max(others, key=lambda c: c.waiting_on_id or 0).waiting_on
    media_ids = []
    if planned.with_photo:
        photo = upload_media(
            customer.account, data=make_photo(f"{run.seed}:{key}"), description="Photo"
        )
        media_ids.append(photo.pk)
    status = post_status(
        customer.account,
        text=planned.text,
        in_reply_to=parent,
        visibility=planned.visibility,
        media_ids=media_ids,
        idempotency_key=f"run{run.pk}:{key}",
    )
    if planned.issue:
        customer.issue = planned.issue
        customer.save(update_fields=["issue", "updated_at"])
    return status


def _react_to_brand(
    run: ScenarioRun,
    engine: PersonaEngine,
    customers: dict[int, SimulatedCustomer],
    report: StepReport,
) -> None:
    """Let each customer the brand answered since the last step react to that answer."""
    by_account = {c.account_id: c for c in customers.values()}
    newer = SandboxStatus.objects.filter(pk__gt=run.reacted_up_to, account=run.brand_id)
    # Random draws are keyed by step and position, never by database ids, so a
    # replayed run (same seed, same steps, same brand replies) says the same.
    for position, brand_status in enumerate(
        newer.select_related("in_reply_to").order_by("id")[:200]
    ):
        key = f"{run.step}:{position}"
        run.reacted_up_to = brand_status.pk
        parent = brand_status.in_reply_to
        if brand_status.reblog_of_id:
            continue
        if parent is None:
            _engage_with_brand_post(engine, brand_status, customers.values(), key=key)
            continue
        customer = by_account.get(parent.account_id)
        if customer is None:
            continue
        delay_minutes = (
            (brand_status.created_at - parent.created_at).total_seconds() * run.speed / 60
        )
        reaction = engine.react(
            persona=customer.persona,
            mood=customer.mood,
            reply_text=brand_status.text,
            delay_minutes=delay_minutes,
            key=key,
        )
        customer.mood = max(-5, min(5, customer.mood + reaction.mood_delta))
        customer.last_outcome = reaction.outcome
        text = reaction.text
        mention = f"@{run.brand.username}"
        if mention.lower() not in text.lower():
            text = f"{mention} {text}"
        visibility = (
            Visibility.DIRECT if brand_status.visibility == Visibility.DIRECT else Visibility.PUBLIC
        )
        answer = post_status(
            customer.account,
            text=text,
            in_reply_to=brand_status,
            visibility=visibility,
            idempotency_key=f"react:{brand_status.pk}",
        )
        report.reactions[brand_status.pk] = reaction.outcome
        report.posts.append(answer.pk)
        if reaction.favourite:
            favourite(customer.account, brand_status)
        if reaction.outcome in ("calmed", "helped", "thanked"):
            customer.waiting_on, customer.waiting_since = None, None
        elif reaction.outcome == "troll_fed":
            customer.escalations += 1
            customer.waiting_on, customer.waiting_since = None, None
            report.escalations.append(answer.pk)
        else:
            customer.waiting_on, customer.waiting_since = answer, run.sim_now
        if reaction.public_escalation:
            outburst = post_status(
                customer.account,
                text=reaction.public_escalation,
                idempotency_key=f"escalate:{brand_status.pk}",
            )
            customer.escalations += 1
            report.escalations.append(outburst.pk)
            report.posts.append(outburst.pk)
        customer.save()


def _engage_with_brand_post(
    engine: PersonaEngine,
    post: SandboxStatus,
    customers: Iterable[SimulatedCustomer],
    *,
    key: str,
) -> None:
    """Let fans favourite and boost a new post of the brand's own."""
    if post.visibility != Visibility.PUBLIC:
        return
    rng = engine.rng("engage", key)
    for customer in sorted(customers, key=lambda c: c.cast_index):
        fan = customer.persona in ("advocate", "complimentary")
        if rng.random() < (0.5 if fan else 0.08):
            favourite(customer.account, post)
        if fan and rng.random() < 0.15:
            reblog(customer.account, post)


def _chase(
    run: ScenarioRun,
    engine: PersonaEngine,
    customers: dict[int, SimulatedCustomer],
    sim_now: dt.datetime,
    report: StepReport,
) -> None:
    """Let customers left unanswered past their patience chase the brand."""
    for customer in sorted(customers.values(), key=lambda c: c.cast_index):
        waiting = customer.waiting_on
        if waiting is None or customer.waiting_since is None:
            continue
        waited = (sim_now - customer.waiting_since).total_seconds() / 60
        if waited < customer.patience_minutes:
            continue
        answered = SandboxStatus.objects.filter(in_reply_to=waiting, account=run.brand_id).exists()
        text = (
            ""
            if answered
            else engine.chase(
                persona=customer.persona,
                waited_minutes=waited,
                key=f"{customer.cast_index}:{run.step}",
            )
        )
        if not text:
            customer.waiting_on, customer.waiting_since = None, None
            customer.save(update_fields=["waiting_on", "waiting_since", "updated_at"])
            continue
        chaser = post_status(
            customer.account,
            text=text,
            in_reply_to=waiting,
            visibility=waiting.visibility,
            idempotency_key=f"chase:{waiting.pk}:{run.step}",
        )
        customer.mood = max(-5, customer.mood - 1)
        customer.waiting_on, customer.waiting_since = chaser, sim_now
        customer.save()
        report.chases.append(chaser.pk)
        report.posts.append(chaser.pk)


@transaction.atomic
def set_run_status(run: ScenarioRun, status: str) -> ScenarioRun:
    """Pause, resume or finish a run; a resumed run does not catch up on the pause."""
    if status not in RunStatus.values:
        raise SandboxError(f"Unknown run status {status!r}.")
    if status == RunStatus.RUNNING:
        ScenarioRun.objects.filter(status=RunStatus.RUNNING).exclude(pk=run.pk).update(
            status=RunStatus.FINISHED
        )
        run.last_tick_at = timezone.now()
    run.status = status
    run.save(update_fields=["status", "last_tick_at", "updated_at"])
    audit.record(None, f"sandbox.run.{status}", run)
    return run


@transaction.atomic
def reset_sandbox() -> None:
    """Delete every sandbox account, status and run: a clean network."""
    ScenarioRun.objects.all().delete()
    SandboxFault.objects.all().delete()
    SandboxNotification.objects.all().delete()
    SandboxMedia.objects.all().delete()
    SandboxStatus.objects.all().delete()
    SandboxAccount.objects.all().delete()
    audit.record(None, "sandbox.reset", object_type="sandbox", object_id="", object_label="sandbox")


@transaction.atomic
def seed_sandbox(
    *,
    access_token: str = DEMO_ACCESS_TOKEN,
    scenario: str = "cafe",
    seed: int = 7,
    start: bool = True,
) -> SeededSandbox:
    """Make sure the brand account exists with a known token (and a run is going); return them.

    Safe to call again: an existing brand keeps its posts and gets the token.
    """
    plan = load_scenario(scenario)
    brand = SandboxAccount.objects.filter(username__iexact=plan.brand_username).first()
    if brand is None:
        brand = create_account(
            username=plan.brand_username,
            display_name=plan.brand_display_name,
            note=plan.brand_bio,
            is_brand=True,
        )
    issue_token(brand, access_token)
    run = ScenarioRun.objects.filter(status=RunStatus.RUNNING).order_by("-id").first()
    if start and run is None:
        run = start_run(scenario=scenario, seed=seed)
    audit.record(None, "sandbox.seed", brand, changes={"scenario": scenario})
    return SeededSandbox(brand=brand, access_token=access_token, run=run)
