"""Seed the demo organisation's surveys: an on-resolve CSAT + NPS + comment survey, and the
responses it collected over the past three months.

The past responses are drawn from a fixed seed, so every demo shows the same
history: mostly satisfied customers, a dip in the week the courier was late,
and comments whose sentiment and themes come from the same triage and theme
rules as real responses. Running it again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Organisation, Team, User
from rapport.accounts.roles import Cap
from rapport.channels.models import Channel
from rapport.customers.models import Customer
from rapport.inbox.models import Tag
from rapport.surveys import services, themes
from rapport.surveys.models import Survey, SurveyResponse, Trigger

DEMO_SURVEY_NAME = "After each conversation"

STANDARD_QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "csat",
        "text": {
            "en": "How satisfied are you with how we handled your request?",
            "fr": "Êtes-vous satisfait de la façon dont nous avons traité votre demande ?",
            "de": "Wie zufrieden sind Sie mit der Bearbeitung Ihres Anliegens?",
            "es": "¿Está satisfecho con cómo gestionamos su consulta?",
        },
        "required": True,
    },
    {
        "kind": "nps",
        "text": {
            "en": "How likely are you to recommend us to a friend or colleague?",
            "fr": "Quelle est la probabilité que vous nous recommandiez à un proche ?",
            "de": "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen?",
            "es": "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
        },
        "required": False,
    },
    {
        "kind": "text",
        "text": {
            "en": "What is the one thing we could do better?",
            "fr": "Que pourrions-nous améliorer en priorité ?",
            "de": "Was könnten wir vor allem besser machen?",
            "es": "¿Qué es lo que más podríamos mejorar?",
        },
        "required": False,
    },
]

# (csat, nps, comment): what customers of a café and coffee shop write after a case.
_HAPPY = [
    (5, 10, "Maya sorted out my subscription in minutes. Brilliant service, thank you!"),
    (5, 9, "Quick and friendly reply, the replacement grinder arrived the next day."),
    (5, 10, ""),
    (4, 9, "Helpful staff, although I had to wait a day for the first answer."),
    (5, 9, "Refund came through really fast, very happy."),
    (4, 8, ""),
    (4, 8, "Good answer about the decaf, would be nice to have it on the website."),
    (5, 10, "Lovely people. The barista even remembered my order!"),
]
_UNHAPPY = [
    (2, 4, "The courier lost my parcel and it took three emails to get a refund."),
    (1, 2, "Still waiting for my delivery after two weeks. Nobody keeps me informed."),
    (2, 5, "The answer was polite but I was charged twice and it is still not fixed."),
    (3, 6, "Delivery was late again, second time this month."),
    (3, 7, "Fine in the end, but the online checkout kept failing."),
    (2, 3, "Overpriced for what it is, and the reply felt like a template."),
]


def _agents(organisation: Organisation) -> list[User]:
    people = User.objects.filter(organisation=organisation, is_active=True).order_by("email")
    return [user for user in people if user.can(Cap.INBOX_WORK)]


@transaction.atomic
def seed_surveys(
    organisation: Organisation, *, now: dt.datetime | None = None, count: int = 150
) -> Survey:
    """Create the demo survey (active, on resolve) and its past responses; return the survey."""
    now = now or timezone.now()
    survey = Survey.objects.filter(organisation=organisation, name=DEMO_SURVEY_NAME).first()
    if survey is None:
        admin = User.objects.filter(organisation=organisation, role="admin").order_by("id").first()
        survey = Survey.objects.create(
            organisation=organisation,
            name=DEMO_SURVEY_NAME,
            active=True,
            trigger=Trigger.ON_RESOLVE,
            cooldown_days=30,
            expires_after_days=14,
            default_language="en",
            intro={
                "en": "Thanks for getting in touch with us. Two quick questions:",
                "fr": "Merci de nous avoir contactés. Deux petites questions :",
            },
            thank_you={"en": "Thank you! Every answer is read by our customer service team."},
            created_by=admin,
        )
        services._set_questions(survey, STANDARD_QUESTIONS)
    if SurveyResponse.objects.filter(survey=survey).exists():
        return survey
    _seed_responses(organisation, survey, now=now, count=count)
    return survey


def _seed_responses(
    organisation: Organisation, survey: Survey, *, now: dt.datetime, count: int
) -> None:
    rng = random.Random(7)
    questions = {q.kind: str(q.public_id) for q in survey.questions.all()}
    agents: list[User | None] = [*_agents(organisation)] or [None]
    teams: list[Team | None] = list(
        Team.objects.filter(organisation=organisation).order_by("name")
    ) or [None]
    channels: list[Channel | None] = list(
        Channel.objects.filter(organisation=organisation).order_by("id")
    ) or [None]
    customers: list[Customer | None] = list(
        Customer.objects.filter(organisation=organisation, merged_into__isnull=True).order_by("id")[
            :200
        ]
    ) or [None]
    tags = list(Tag.objects.filter(organisation=organisation).values_list("name", flat=True))
    engine_comments: dict[str, tuple[str, float | None]] = {}
    rows = []
    for n in range(count):
        submitted = now - dt.timedelta(days=rng.uniform(0.2, 90), minutes=rng.randint(0, 600))
        # The late-courier weeks (40 to 54 days ago) draw from the unhappy comments more often.
        unhappy_share = 0.45 if 40 <= (now - submitted).days <= 54 else 0.18
        csat, nps, comment = rng.choice(_UNHAPPY if rng.random() < unhappy_share else _HAPPY)
        if comment and rng.random() < 0.25:
            comment = ""
        answers: dict[str, Any] = {questions["csat"]: csat}
        answered_nps = rng.random() < 0.8
        if answered_nps:
            answers[questions["nps"]] = nps
        if comment:
            answers[questions["text"]] = comment
        if comment not in engine_comments:
            engine_comments[comment] = services._sentiment(comment)
        sentiment, score = engine_comments[comment]
        agent = agents[n % len(agents)]
        rows.append(
            SurveyResponse(
                organisation=organisation,
                survey=survey,
                agent=agent,
                team=teams[n % len(teams)],
                channel=channels[n % len(channels)],
                customer=customers[n % len(customers)],
                language="en",
                submitted_at=submitted,
                csat=csat,
                nps=nps if answered_nps else None,
                comment=comment,
                sentiment=sentiment,
                sentiment_score=score,
                themes=themes.themes_of(comment, tags),
                answers=answers,
            )
        )
    SurveyResponse.objects.bulk_create(rows)
