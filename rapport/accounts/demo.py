"""Seed the demo organisation: an admin and one user per role, and two teams."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from rapport.accounts import services
from rapport.accounts.models import Organisation, User
from rapport.accounts.roles import Role

DEMO_SLUG = "northwind"
DEMO_DOMAIN = "northwind.example"

_PEOPLE = [
    ("admin", Role.ADMIN, "Ada Admin"),
    ("manager", Role.MANAGER, "Morgan Manager"),
    ("supervisor", Role.SUPERVISOR, "Sam Supervisor"),
    ("agent", Role.AGENT, "Alex Agent"),
    ("marketer", Role.MARKETER, "Mara Marketer"),
    ("analyst", Role.ANALYST, "Ana Analyst"),
    ("assessor", Role.ASSESSOR, "Ash Assessor"),
]


@dataclass(frozen=True)
class Login:
    email: str
    role: str
    password: str


def _password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def seed_demo(*, reset_passwords: bool = False) -> list[Login]:
    """Create what is missing of the demo organisation; return the logins created or reset.

    Running it again changes nothing, except that `reset_passwords` gives every
    demo user a new password (returned, to be printed once).
    """
    organisation = Organisation.objects.filter(slug=DEMO_SLUG).first()
    if organisation is None:
        organisation = services.create_organisation(
            name="Northwind Outfitters", slug=DEMO_SLUG, time_zone="Europe/London"
        )
    logins: list[Login] = []
    people: dict[str, User] = {}
    for local, role, name in _PEOPLE:
        email = f"{local}@{DEMO_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            password = _password()
            user = services.create_user(
                None,
                email=email,
                role=role,
                full_name=name,
                password=password,
                organisation=organisation,
                is_staff=role == Role.ADMIN,
            )
            logins.append(Login(email, role, password))
        elif reset_passwords:
            password = _password()
            services.set_password(None, user, password=password)
            logins.append(Login(email, role, password))
        people[local] = user
    admin = people["admin"]
    if not organisation.teams.exists():
        care = services.create_team(admin, name="Customer care", description="Inbox and cases")
        services.set_team_members(
            admin,
            care,
            members=[people["supervisor"], people["agent"]],
            leads=[people["supervisor"]],
        )
        social = services.create_team(admin, name="Social", description="Publishing and listening")
        services.set_team_members(
            admin,
            social,
            members=[people["marketer"], people["manager"]],
            leads=[people["manager"]],
        )
    return logins
