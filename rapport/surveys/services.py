"""State changes for surveys: keeping surveys, sending invitations, recording responses.

Who gets an invitation (`invite_for_conversation`), in this order of rules:

- the conversation is resolved (or closed), not spam or abuse, and has had no
  invitation before (one per conversation, even when it is resolved twice);
- an active survey with this trigger applies to its channel kind and kind;
- the customer still exists (not erased, not merged away), has not asked not
  to be contacted, gave marketing consent where the survey requires it, and
  was not invited to any survey in the survey's cooldown days;
- there is a way to reach them: a private reply in the conversation on a
  social platform, a reply by email on an email channel, an email to the
  address a web form gave; otherwise an email identity on file.

The token in the link is shown once (in the message) and only its SHA-256 is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from rapport.accounts import audit
from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.channels.models import ChannelKind
from rapport.channels.registry import REPLYING_KINDS
from rapport.customers.models import ContactChannel, Identity
from rapport.inbox.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Kind,
    Message,
    Status,
    Tag,
)
from rapport.lib.errors import DomainError, NotAllowed
from rapport.surveys import themes, wording
from rapport.surveys.models import (
    SCALES,
    InvitationStatus,
    Question,
    QuestionKind,
    SentBy,
    Survey,
    SurveyInvitation,
    SurveyResponse,
    SurveyRun,
    Trigger,
)

logger = logging.getLogger(__name__)

NEVER_SURVEYED_KINDS = frozenset({Kind.SPAM, Kind.ABUSE})
MAX_QUESTIONS = 20
MAX_WORDING = 500
MAX_ANSWER_TEXT = 2000
MAX_CHOICES = 20
# A scheduled run invites at most this many customers; the rest wait for the next run.
MAX_PER_RUN = 1000
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_SURVEY_FIELDS = (
    "name",
    "active",
    "trigger",
    "channel_kinds",
    "conversation_kinds",
    "cooldown_days",
    "expires_after_days",
    "require_consent",
    "default_language",
    "intro",
    "thank_you",
    "segment_days",
    "segment_tags",
    "schedule_every_days",
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_manage(actor: User, survey: Survey | None = None) -> None:
    if not actor.can(Cap.SURVEYS_MANAGE):
        raise NotAllowed("Your role does not allow changing surveys.")
    if survey is not None and survey.organisation_id != actor.organisation_id:
        raise NotAllowed("This survey is not in your organisation.")


# --- Validation of what a person writes ------------------------------------------------


def _clean_language(code: str, where: str) -> str:
    code = (code or "").strip()
    if not _LANGUAGE.match(code):
        raise DomainError(
            f"{where}: “{code[:20]}” is not a language code such as en or pt-BR.",
            code="bad_language",
        )
    return code


def _clean_wording(value: Any, where: str, *, default_language: str, required: bool) -> dict:
    if value in (None, ""):
        value = {}
    if not isinstance(value, Mapping):
        raise DomainError(f"{where}: give the wording per language.", code="bad_wording")
    cleaned = {}
    for code, text in value.items():
        code = _clean_language(str(code), where)
        text = str(text or "").strip()
        if len(text) > MAX_WORDING:
            raise DomainError(
                f"{where} ({code}) is longer than {MAX_WORDING} characters.", code="too_long"
            )
        if text:
            cleaned[code] = text
    if required and not cleaned.get(default_language):
        raise DomainError(
            f"{where} needs wording in the default language ({default_language}).",
            code="missing_wording",
        )
    return cleaned


def clean_question(spec: Mapping[str, Any], default_language: str, index: int) -> dict[str, Any]:
    """Return a question's fields from what a person or client sent, or raise DomainError."""
    where = f"Question {index + 1}"
    kind = spec.get("kind")
    if kind not in QuestionKind.values:
        raise DomainError(f"{where}: unknown kind “{str(kind)[:20]}”.", code="bad_question")
    options: dict[str, Any] = {}
    raw = spec.get("options") or {}
    if kind == QuestionKind.CHOICE:
        choices = raw.get("choices") if isinstance(raw, Mapping) else None
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            raise DomainError(
                f"{where}: a choice question needs 2 to {MAX_CHOICES} choices.",
                code="bad_question",
            )
        cleaned_choices = []
        for n, choice in enumerate(choices):
            label = choice.get("label") if isinstance(choice, Mapping) else choice
            if isinstance(label, str):
                label = {default_language: label}
            label = _clean_wording(
                label, f"{where}, choice {n + 1}", default_language=default_language, required=True
            )
            cleaned_choices.append({"value": str(n + 1), "label": label})
        options = {"choices": cleaned_choices}
    elif kind == QuestionKind.SCALE:
        try:
            low, high = int(raw.get("min", 1)), int(raw.get("max", 5))
        except (TypeError, ValueError, AttributeError):
            raise DomainError(
                f"{where}: the scale ends must be numbers.", code="bad_question"
            ) from None
        if not (0 <= low < high <= 100 and high - low <= 10):
            raise DomainError(
                f"{where}: a scale runs from 0–100 with at most 11 points.", code="bad_question"
            )
        options = {"min": low, "max": high}
        for end in ("low", "high"):
            options[end] = _clean_wording(
                raw.get(end),
                f"{where}, {end} end",
                default_language=default_language,
                required=False,
            )
    return {
        "kind": kind,
        "text": _clean_wording(
            spec.get("text"), where, default_language=default_language, required=True
        ),
        "required": bool(spec.get("required", True)),
        "options": options,
    }


def _clean_survey_fields(fields: Mapping[str, Any], default_language: str) -> dict[str, Any]:
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise DomainError("Give the survey a name.", code="name_required")
        if len(cleaned["name"]) > 120:
            raise DomainError("The name is longer than 120 characters.", code="too_long")
    if "trigger" in cleaned and cleaned["trigger"] not in Trigger.values:
        raise DomainError("Unknown trigger.", code="bad_trigger")
    if "channel_kinds" in cleaned:
        unknown = set(cleaned["channel_kinds"]) - set(ChannelKind.values)
        if unknown:
            raise DomainError(
                f"Unknown channel kinds: {', '.join(sorted(unknown))}.", code="bad_channel_kind"
            )
        cleaned["channel_kinds"] = sorted(set(cleaned["channel_kinds"]))
    if "conversation_kinds" in cleaned:
        kinds = set(cleaned["conversation_kinds"])
        if kinds - set(Kind.values):
            raise DomainError("Unknown conversation kinds.", code="bad_kind")
        if kinds & NEVER_SURVEYED_KINDS:
            raise DomainError(
                "Spam and abuse are never surveyed.", code="bad_kind", details=sorted(kinds)
            )
        cleaned["conversation_kinds"] = sorted(kinds)
    for name, low, high in (
        ("cooldown_days", 0, 3650),
        ("expires_after_days", 1, 365),
        ("segment_days", 1, 3650),
        ("schedule_every_days", 1, 365),
    ):
        if name in cleaned:
            value = cleaned[name]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise DomainError(
                    f"{name.replace('_', ' ').capitalize()} must be from {low} to {high}.",
                    code="out_of_range",
                )
    if "segment_tags" in cleaned:
        tags = [str(t).strip()[:60] for t in cleaned["segment_tags"] if str(t).strip()]
        cleaned["segment_tags"] = sorted(set(tags))[:50]
    for name in ("intro", "thank_you"):
        if name in cleaned:
            cleaned[name] = _clean_wording(
                cleaned[name],
                name.replace("_", " ").capitalize(),
                default_language=default_language,
                required=False,
            )
    return cleaned


# --- Keeping surveys ---------------------------------------------------------------------


@transaction.atomic
def create_survey(
    actor: User,
    *,
    name: str,
    trigger: str = Trigger.ON_RESOLVE,
    questions: Sequence[Mapping[str, Any]] = (),
    default_language: str = "en",
    now: dt.datetime | None = None,
    **fields: Any,
) -> Survey:
    """Create a survey with its questions; it starts inactive unless `active` is given."""
    _require_manage(actor)
    default_language = _clean_language(default_language, "Default language")
    cleaned = _clean_survey_fields({"name": name, "trigger": trigger, **fields}, default_language)
    survey = Survey(
        organisation_id=actor.organisation_id,
        default_language=default_language,
        created_by=actor,
        **cleaned,
    )
    _check_activation(survey, len(questions))
    _schedule(survey, now or timezone.now())
    survey.save()
    _set_questions(survey, questions)
    audit.record(actor, "survey.create", survey, changes=audit.snapshot(survey, _SURVEY_FIELDS))
    return survey


@transaction.atomic
def update_survey(
    actor: User,
    survey: Survey,
    *,
    questions: Sequence[Mapping[str, Any]] | None = None,
    now: dt.datetime | None = None,
    **fields: Any,
) -> Survey:
    """Change a survey's settings and, when given, its questions (kept by id where sent)."""
    _require_manage(actor, survey)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    before = audit.snapshot(survey, _SURVEY_FIELDS)
    if "default_language" in fields:
        fields["default_language"] = _clean_language(fields["default_language"], "Default language")
    default_language = fields.get("default_language", survey.default_language)
    for name, value in _clean_survey_fields(fields, default_language).items():
        setattr(survey, name, value)
    count = len(questions) if questions is not None else survey.questions.count()
    _check_activation(survey, count)
    if any(name in fields for name in ("trigger", "active", "schedule_every_days")):
        _schedule(survey, now or timezone.now())
    survey.save()
    changes = audit.diff(before, audit.snapshot(survey, _SURVEY_FIELDS))
    if questions is not None:
        _set_questions(survey, questions)
        changes["questions"] = [None, len(questions)]
    if changes:
        audit.record(actor, "survey.update", survey, changes=changes)
    return survey


@transaction.atomic
def delete_survey(actor: User, survey: Survey) -> None:
    """Delete a survey that nobody has answered; one with responses can only be deactivated."""
    _require_manage(actor, survey)
    if SurveyResponse.objects.filter(survey=survey).exists():
        raise DomainError(
            "This survey has responses; deactivate it instead so they are kept.",
            code="has_responses",
        )
    audit.record(actor, "survey.delete", survey)
    survey.delete()


def _check_activation(survey: Survey, question_count: int) -> None:
    if question_count > MAX_QUESTIONS:
        raise DomainError(f"A survey has at most {MAX_QUESTIONS} questions.", code="too_many")
    if survey.active and question_count == 0:
        raise DomainError("Add a question before activating the survey.", code="no_questions")


def _schedule(survey: Survey, now: dt.datetime) -> None:
    if survey.trigger == Trigger.SCHEDULED and survey.active:
        survey.next_run_at = survey.next_run_at or now
    else:
        survey.next_run_at = None


def _set_questions(survey: Survey, specs: Sequence[Mapping[str, Any]]) -> None:
    if len(specs) > MAX_QUESTIONS:
        raise DomainError(f"A survey has at most {MAX_QUESTIONS} questions.", code="too_many")
    existing = {str(q.public_id): q for q in survey.questions.all()}
    kept: set[str] = set()
    for position, spec in enumerate(specs):
        cleaned = clean_question(spec, survey.default_language, position)
        question_id = str(spec.get("id") or "")
        question = existing.get(question_id)
        if question_id and question is None:
            raise DomainError(
                f"Question {position + 1}: no such question in this survey.", code="bad_question"
            )
        if question is None:
            question = Question(survey=survey)
        for name, value in cleaned.items():
            setattr(question, name, value)
        question.position = position
        question.save()
        kept.add(str(question.public_id))
    # Answers already given to a removed question stay in their responses' answers.
    survey.questions.exclude(public_id__in=kept).delete()


# --- Who gets an invitation --------------------------------------------------------------


@dataclass
class Route:
    sent_by: str
    email: str = ""
    # True: a reply in the conversation (delivered by the channels worker).
    in_conversation: bool = False


@dataclass
class RunResult:
    invited: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def surveys_for(conversation: Conversation, trigger: str) -> list[Survey]:
    """Return the active surveys with `trigger` that apply to this conversation, oldest first."""
    candidates = Survey.objects.filter(
        organisation_id=conversation.organisation_id, trigger=trigger, active=True
    ).order_by("created_at", "id")
    return [
        survey
        for survey in candidates
        if (not survey.channel_kinds or conversation.channel.kind in survey.channel_kinds)
        and (not survey.conversation_kinds or conversation.kind in survey.conversation_kinds)
    ]


def why_not(survey: Survey, conversation: Conversation, now: dt.datetime) -> str:
    """Return why this conversation's customer gets no invitation now, or "" if they may."""
    customer = conversation.customer
    if conversation.status not in (Status.RESOLVED, Status.CLOSED):
        return "not_resolved"
    if conversation.kind in NEVER_SURVEYED_KINDS:
        return "spam_or_abuse"
    if conversation.merged_into_id:
        return "merged"
    if SurveyInvitation.objects.filter(conversation=conversation).exists():
        return "already_invited"
    if customer.erased_at or customer.merged_into_id:
        return "customer_gone"
    if customer.preferred_contact == ContactChannel.NONE:
        return "do_not_contact"
    if survey.require_consent and not customer.marketing_consent:
        return "no_consent"
    if (
        survey.cooldown_days
        and SurveyInvitation.objects.filter(
            customer=customer, sent_at__gt=now - dt.timedelta(days=survey.cooldown_days)
        ).exists()
    ):
        return "cooldown"
    return ""


def route_for(conversation: Conversation) -> Route | None:
    """Return how to reach the customer of this conversation, or None when there is no way."""
    kind = conversation.channel.kind
    email = (
        Identity.objects.filter(customer_id=conversation.customer_id, platform="email")
        .order_by("id")
        .values_list("handle", flat=True)
        .first()
        or ""
    )
    prefers_email = conversation.customer.preferred_contact == ContactChannel.EMAIL
    has_inbound = conversation.messages.filter(
        direction=Direction.INBOUND, external_id__isnull=False
    ).exists()
    if kind == ChannelKind.WEBFORM and email:
        return Route(SentBy.WEBFORM, email=email, in_conversation=True)
    if kind == ChannelKind.EMAIL and has_inbound:
        return Route(SentBy.EMAIL, email=email, in_conversation=True)
    if kind in REPLYING_KINDS and has_inbound and not (prefers_email and email):
        return Route(SentBy.PLATFORM, in_conversation=True)
    if email:
        return Route(SentBy.EMAIL, email=email)
    return None


def invite_for_conversation(
    conversation_id: int, *, trigger: str = Trigger.ON_RESOLVE, now: dt.datetime | None = None
) -> SurveyInvitation | str:
    """Invite the customer of a resolved conversation if the rules allow; else say why not."""
    now = now or timezone.now()
    conversation = (
        Conversation.objects.select_related("channel", "customer", "organisation")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        return "no_conversation"
    surveys = surveys_for(conversation, trigger)
    if not surveys:
        return "no_survey"
    return _invite(surveys[0], conversation, now)


def _invite(survey: Survey, conversation: Conversation, now: dt.datetime) -> SurveyInvitation | str:
    reason = why_not(survey, conversation, now)
    if reason:
        return reason
    route = route_for(conversation)
    if route is None:
        return "no_route"
    token = secrets.token_urlsafe(24)
    language = wording.choose(
        survey_languages(survey),
        wanted=[conversation.language, conversation.customer.language],
        default="",
    )
    # Unknown stays empty, so the page can follow the browser's Accept-Language instead.
    link = settings.SITE_URL.rstrip("/") + reverse("surveys:answer", args=[token])
    text = wording.chrome(language or survey.default_language)["invitation"].format(
        organisation=conversation.organisation.name, link=link
    )
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                organisation_id=conversation.organisation_id,
                survey=survey,
                token_hash=hash_token(token),
                customer=conversation.customer,
                conversation=conversation,
                agent_id=conversation.assignee_id,
                team_id=conversation.team_id,
                channel_id=conversation.channel_id,
                language=language,
                sent_by=route.sent_by,
                email=route.email,
                sent_at=now,
                expires_at=now + dt.timedelta(days=survey.expires_after_days),
            )
            if route.in_conversation:
                invitation.message = _reply_in_conversation(conversation, text, now)
                invitation.status = InvitationStatus.SENT
                invitation.save(update_fields=["message", "status", "updated_at"])
            audit.record(
                None,
                "survey.invite",
                invitation,
                changes={"survey": [None, str(survey.public_id)], "sent_by": [None, route.sent_by]},
                object_label=f"{survey.name} to {conversation.customer}",
            )
    except IntegrityError:
        # Resolved twice at once: the other resolution's hook invited them first.
        return "already_invited"
    if not route.in_conversation:
        chrome = wording.chrome(language or survey.default_language)
        _mail(invitation, text, chrome, conversation.organisation.name)
    return invitation


def _reply_in_conversation(conversation: Conversation, text: str, now: dt.datetime) -> Message:
    """Queue a private reply carrying the link; the channels worker delivers it."""
    message = Message.objects.create(
        organisation_id=conversation.organisation_id,
        conversation=conversation,
        channel_id=conversation.channel_id,
        direction=Direction.OUTBOUND,
        is_public=False,
        text=text,
        sent_at=now,
        created_at=now,
        delivery_status=DeliveryStatus.SCHEDULED,
        idempotency_key=uuid.uuid4().hex,
    )
    Conversation.objects.filter(pk=conversation.pk).update(message_count=F("message_count") + 1)
    return message


def _mail(
    invitation: SurveyInvitation, text: str, chrome: dict[str, str], organisation: str
) -> None:
    try:
        send_mail(
            chrome["invitation_subject"].format(organisation=organisation),
            text,
            settings.DEFAULT_FROM_EMAIL,
            [invitation.email],
        )
    except Exception as exc:
        logger.warning("a survey invitation could not be mailed: %s", exc)
        SurveyInvitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.FAILED, error=str(exc)[:2000]
        )
        invitation.status = InvitationStatus.FAILED
        return
    SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.SENT)
    invitation.status = InvitationStatus.SENT


def survey_languages(survey: Survey) -> list[str]:
    """Return the languages every question of the survey is written in, default first."""
    languages: set[str] | None = None
    for texts in survey.questions.values_list("text", flat=True):
        have = set(texts or {})
        languages = have if languages is None else languages & have
    others = sorted((languages or set()) - {survey.default_language})
    return [survey.default_language, *others]


# --- Scheduled sends ---------------------------------------------------------------------


def segment(survey: Survey, now: dt.datetime) -> Any:
    """Return the conversations whose customers a scheduled survey would invite, newest first."""
    since = now - dt.timedelta(days=survey.segment_days)
    conversations = Conversation.objects.filter(
        organisation_id=survey.organisation_id,
        status__in=(Status.RESOLVED, Status.CLOSED),
        resolved_at__gte=since,
        merged_into__isnull=True,
        customer__erased_at__isnull=True,
        customer__merged_into__isnull=True,
    ).exclude(kind__in=NEVER_SURVEYED_KINDS)
    if survey.channel_kinds:
        conversations = conversations.filter(channel__kind__in=survey.channel_kinds)
    if survey.conversation_kinds:
        conversations = conversations.filter(kind__in=survey.conversation_kinds)
    if survey.segment_tags:
        tagged = Tag.objects.filter(
            organisation_id=survey.organisation_id, name__in=survey.segment_tags
        )
        conversations = conversations.filter(tags__in=tagged).distinct()
    invited = SurveyInvitation.objects.filter(conversation_id=OuterRef("pk"))
    return conversations.filter(~Exists(invited)).order_by("-resolved_at", "-id")


def due_scheduled_survey_ids(now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Survey.objects.filter(
            trigger=Trigger.SCHEDULED, active=True, next_run_at__lte=now
        ).values_list("pk", flat=True)
    )


def run_scheduled_survey(survey_id: int, *, now: dt.datetime | None = None) -> RunResult | None:
    """Invite the survey's segment if the run is due and ours; None when not ours to run.

    The run is claimed by moving `next_run_at` forward with a conditional update,
    so two workers never run it twice. Each customer is invited once, on their
    most recent qualifying conversation.
    """
    now = now or timezone.now()
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None or survey.next_run_at is None or survey.next_run_at > now:
        return None
    won = Survey.objects.filter(pk=survey.pk, active=True, next_run_at=survey.next_run_at).update(
        next_run_at=now + dt.timedelta(days=survey.schedule_every_days), last_run_at=now
    )
    if won != 1:
        # Nothing got updated: another worker claimed this run first, or it was deactivated.
        return None
    result = RunResult()
    seen: set[int] = set()
    rows = segment(survey, now).select_related("channel", "customer", "organisation")
    for conversation in rows.iterator(chunk_size=500):
        if conversation.customer_id in seen:
            continue
        seen.add(conversation.customer_id)
        if result.invited >= MAX_PER_RUN:
            result.skip("run_limit")
            continue
        outcome = _invite(survey, conversation, now)
        if isinstance(outcome, SurveyInvitation):
            result.invited += 1
        else:
            result.skip(outcome)
    SurveyRun.objects.create(
        survey=survey, started_at=now, invited=result.invited, skipped=result.skipped
    )
    return result


# --- Responses ---------------------------------------------------------------------------


def find_invitation(token: str) -> SurveyInvitation | None:
    """Return the invitation a link's token names, or None (a forged or mangled token)."""
    if not token or len(token) > 100:
        return None
    return (
        SurveyInvitation.objects.select_related("survey", "organisation")
        .filter(token_hash=hash_token(token))
        .first()
    )


def clean_answers(
    questions: Sequence[Question], raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (answers by question id, errors by question id) for submitted values."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        key = str(question.public_id)
        value = raw.get(key)
        value = "" if value is None else str(value).strip()
        if value == "":
            if question.required:
                errors[key] = "required"
            continue
        scale = question.scale()
        if scale is not None:
            try:
                number = int(value)
            except ValueError:
                errors[key] = "invalid"
                continue
            if not scale[0] <= number <= scale[1]:
                errors[key] = "invalid"
                continue
            answers[key] = number
        elif question.kind == QuestionKind.CHOICE:
            values = {c["value"] for c in question.options.get("choices", [])}
            if value not in values:
                errors[key] = "invalid"
                continue
            answers[key] = value
        else:
            if len(value) > MAX_ANSWER_TEXT:
                errors[key] = "too_long"
                continue
            answers[key] = value
    return answers, errors


def record_survey_response(
    *,
    survey: Survey,
    answers: Mapping[str, Any],
    invitation: SurveyInvitation | None = None,
    language: str = "",
    now: dt.datetime | None = None,
) -> SurveyResponse | None:
    """Record a response with its scores and triaged comment; None if the token was used.

    `answers` are already cleaned (see `clean_answers`). An invitation is
    claimed with a conditional update, so a double submit records one response.
    """
    now = now or timezone.now()
    questions = list(survey.questions.all())
    scores = _scores(questions, answers)
    comment = "\n\n".join(
        str(answers[str(q.public_id)])
        for q in questions
        if q.kind == QuestionKind.TEXT and str(q.public_id) in answers
    )
    sentiment, sentiment_score = _sentiment(comment)
    tag_names = list(
        Tag.objects.filter(organisation_id=survey.organisation_id).values_list("name", flat=True)[
            :500
        ]
    )
    context: dict[str, Any] = {}
    if invitation is not None:
        context = {
            "conversation_id": invitation.conversation_id,
            "agent_id": invitation.agent_id,
            "team_id": invitation.team_id,
            "customer_id": invitation.customer_id,
            "channel_id": invitation.channel_id,
        }
    with transaction.atomic():
        if invitation is not None:
            won = SurveyInvitation.objects.filter(
                pk=invitation.pk, responded_at__isnull=True, expires_at__gt=now
            ).update(responded_at=now)
            if won != 1:
                # Answered already (a second tab, a double tap) or expired meanwhile.
                return None
        response = SurveyResponse.objects.create(
            organisation_id=survey.organisation_id,
            survey=survey,
            invitation=invitation,
            language=language[:12],
            submitted_at=now,
            comment=comment,
            sentiment=sentiment,
            sentiment_score=sentiment_score,
            themes=themes.themes_of(comment, tag_names),
            answers=dict(answers),
            **scores,
            **context,
        )
    return response


def _scores(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, int | None]:
    """Return csat, nps and ces from the first answered question of each kind."""
    scores: dict[str, int | None] = {kind: None for kind in SCALES}
    for question in questions:
        value = answers.get(str(question.public_id))
        if question.kind in SCALES and scores[question.kind] is None and isinstance(value, int):
            scores[question.kind] = value
    return {str(kind): value for kind, value in scores.items()}


def _sentiment(comment: str) -> tuple[str, float | None]:
    if not comment.strip():
        return "", None
    from rapport.inbox.services import triage_engine

    engine = triage_engine()
    if engine is None:
        return "", None
    result = engine.classify(comment[: MAX_ANSWER_TEXT * 3])
    return str(result.sentiment), round(float(result.sentiment_score), 4)
