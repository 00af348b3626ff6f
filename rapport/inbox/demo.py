"""Seed the demo organisation's inbox: service standards, routing, macros, and the texts
its first customers write (posted through real channels by `channels.demo`).

Running it again adds nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rapport.accounts.models import Organisation, Team, User
from rapport.inbox.models import (
    AssignmentMode,
    BusinessCalendar,
    EscalationAction,
    EscalationRule,
    Macro,
    RoutingRule,
    SlaPolicy,
    SlaTarget,
)

DEMO_CUSTOMERS = [
    ("@hannah_b", "Hannah Brooks"),
    ("@tomasz", "Tomasz Nowak"),
    ("@priya.k", "Priya Kapoor"),
    ("@coffeegeek", "Dev the Coffee Geek"),
    ("@mrs_ellis", "Margaret Ellis"),
    ("@jay_runs", "Jay Okafor"),
    ("@latte_art_lou", "Lou Martin"),
    ("@grumpy_gus", "Gus"),
    ("@sofia.r", "Sofia Rossi"),
    ("@ben_w", "Ben Walker"),
]

SOCIAL_SEEDS = [
    "My online order #{n} was meant to arrive Tuesday and still nothing. Third time I've asked!",
    "Is the Ethiopia Yirgacheffe back in stock? Been waiting for weeks",
    "Do you do oat milk at the Market Street shop?",
    "Best flat white in town, the new barista is brilliant ☕",
    "The grinder I bought from you stopped working after 2 weeks. Want a refund.",
    "Here's my morning pour-over with your Colombia beans 📸 #homebrew",
    "Your card machine charged me twice this morning, please sort it out",
    "What time do you open on bank holidays?",
    "Honestly the worst service I've had anywhere. Staff ignored us for 20 minutes.",
    "Can I change the delivery address on my subscription?",
    "Just wanted to say thanks to Maya at the roastery tour, amazing morning!",
    "Found a piece of plastic in my pastry today. Not acceptable. Kids were eating it too.",
    "Is your decaf Swiss Water processed?",
    "lol this place is a joke, overpriced brown water",
    "Do you ship to Ireland?",
    "Subscribed last month and love it. Telling all my friends 🙌",
]

FORM_SEEDS = [
    (
        "Refund request",
        "Hello, I returned the kettle (order {n}) ten days ago and have had no refund.",
    ),
    ("Wholesale enquiry", "We run a small bakery and would like to stock your beans. Price list?"),
    ("Allergy question", "Does the hazelnut syrup contain real nuts? My son has an allergy."),
    ("Complaint about delivery", "The courier left my parcel in the rain and the bag split open."),
]


@transaction.atomic
def seed_inbox(organisation: Organisation) -> bool:
    """Create the demo's calendar, service standard, routing rules and macros.

    The traffic itself comes through real channels (`channels.demo`): posts on
    the sandbox and messages on the web form, so every conversation can be
    answered. Returns False when the organisation already has a standard.
    """
    if SlaPolicy.objects.filter(organisation=organisation).exists():
        return False
    admin = User.objects.filter(organisation=organisation, role="admin").first()
    calendar = BusinessCalendar.objects.create(
        organisation=organisation,
        name="Shop hours",
        time_zone=organisation.time_zone,
        weekly_hours={
            **{str(day): [["08:00", "18:00"]] for day in range(5)},
            "5": [["09:00", "17:00"]],
        },
        holidays=["2026-12-25", "2026-12-26", "2027-01-01"],
    )
    policy = SlaPolicy.objects.create(
        organisation=organisation, name="Standard", calendar=calendar, is_default=True
    )
    SlaTarget.objects.create(
        policy=policy,
        first_response_minutes=120,
        next_response_minutes=240,
        resolution_minutes=1440,
    )
    SlaTarget.objects.create(
        policy=policy, kind="complaint", first_response_minutes=60, resolution_minutes=960
    )
    SlaTarget.objects.create(policy=policy, priority=4, first_response_minutes=30)
    EscalationRule.objects.create(policy=policy, action=EscalationAction.NOTIFY_SUPERVISORS)
    EscalationRule.objects.create(policy=policy, action=EscalationAction.BUMP_PRIORITY)
    care = Team.objects.filter(organisation=organisation, name="Customer care").first()
    social_team = Team.objects.filter(organisation=organisation, name="Social").first()
    if care:
        RoutingRule.objects.create(
            organisation=organisation,
            name="Complaints to customer care",
            position=10,
            kinds=["complaint"],
            team=care,
            assignment=AssignmentMode.ROUND_ROBIN,
        )
        RoutingRule.objects.create(
            organisation=organisation,
            name="Questions to customer care",
            position=20,
            kinds=["question"],
            team=care,
            assignment=AssignmentMode.LEAST_LOADED,
        )
    if social_team:
        RoutingRule.objects.create(
            organisation=organisation,
            name="Praise and photos to social",
            position=30,
            kinds=["praise", "ugc", "review"],
            team=social_team,
            assignment=AssignmentMode.NONE,
        )
    if admin:
        macros: list[tuple[str, str, dict[str, Any]]] = [
            (
                "Apology and follow-up",
                "Hi {customer_name}, I'm so sorry about this. Could you send us your order "
                "number by private message so I can put it right today? {agent_name}",
                {"set_status": "pending_customer"},
            ),
            (
                "Thanks for the love",
                "Thank you {customer_name}! We'll pass that on to the team ☕",
                {"set_status": "resolved", "add_tags": ["praise"]},
            ),
            (
                "Opening hours",
                "Hi {customer_name}, we're open 8–6 on weekdays and 9–5 on Saturdays.",
                {"set_status": "resolved"},
            ),
        ]
        for name, body, extra in macros:
            Macro.objects.create(organisation=organisation, name=name, body=body, **extra)
    return True
