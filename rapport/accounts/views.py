"""Pages for logging in, the profile (password, API tokens) and the admin area."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from rapport.accounts import selectors, services
from rapport.accounts.forms import (
    AuditFilterForm,
    EmailLoginForm,
    TeamForm,
    TeamMembersForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
)
from rapport.accounts.models import User
from rapport.accounts.roles import Cap, Role
from rapport.lib.pages import domain_errors_to_form


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    teams = user.teams.all()
    return render(request, "home.html", {"teams": teams, "role": Role(user.role)})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    password_form = PasswordChangeForm(user)
    if request.method == "POST":
        password_form = PasswordChangeForm(user, request.POST)
        if password_form.is_valid():
            with domain_errors_to_form(password_form):
                services.set_password(
                    user, user, password=password_form.cleaned_data["new_password1"]
                )
                update_session_auth_hash(request, user)
                messages.success(request, "Your password has been changed.")
                return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "password_form": password_form,
            "token_form": TokenForm(),
            "tokens": selectors.tokens_of(user),
            "role": Role(user.role),
        },
    )


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = TokenForm(request.POST)
    created = None
    if form.is_valid():
        expires = form.cleaned_data["expires_at"]
        expires_at = dt.datetime.combine(expires, dt.time.min, tzinfo=dt.UTC) if expires else None
        with domain_errors_to_form(form):
            token, raw = services.create_api_token(
                user, name=form.cleaned_data["name"], expires_at=expires_at
            )
            created = {"token": token, "raw": raw}
            form = TokenForm()
    context = {"token_form": form, "tokens": selectors.tokens_of(user), "created": created}
    return render(request, "accounts/_tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    user = _user(request)
    token = selectors.get_token_for_user(user, token_id)
    services.revoke_api_token(user, token)
    messages.success(request, f"Token “{token.name}” revoked.")
    context = {"token_form": TokenForm(), "tokens": selectors.tokens_of(user)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "accounts/_tokens.html", context)
    return redirect("accounts:profile")


# --- Admin area -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def user_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    users = selectors.users_visible_to(actor)
    form = UserCreateForm()
    if request.method == "POST":
        form = UserCreateForm(request.POST)
        if form.is_valid():
            with domain_errors_to_form(form):
                created = services.create_user(actor, **form.cleaned_data)
                messages.success(request, f"{created.email} can now be given their login.")
                return redirect("accounts:user_list")
    return render(
        request,
        "accounts/user_list.html",
        {"users": users, "form": form, "can_manage": actor.can(Cap.USERS_MANAGE)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: str) -> HttpResponse:
    actor = _user(request)
    user = selectors.get_user_for_user(actor, user_id)
    initial = {"full_name": user.full_name, "role": user.role, "is_active": user.is_active}
    form = UserEditForm(initial=initial)
    if request.method == "POST":
        form = UserEditForm(request.POST)
        if form.is_valid():
            with domain_errors_to_form(form):
                services.update_user(actor, user, **form.cleaned_data)
                messages.success(request, f"{user.email} updated.")
                return redirect("accounts:user_list")
    return render(
        request,
        "accounts/user_edit.html",
        {"subject": user, "form": form, "can_manage": actor.can(Cap.USERS_MANAGE)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    form = TeamForm()
    if request.method == "POST":
        form = TeamForm(request.POST)
        if form.is_valid():
            with domain_errors_to_form(form):
                team = services.create_team(actor, **form.cleaned_data)
                messages.success(request, f"Team “{team.name}” created.")
                return redirect("accounts:team_edit", team_id=team.public_id)
    return render(
        request,
        "accounts/team_list.html",
        {
            "teams": selectors.teams_visible_to(actor),
            "form": form,
            "can_manage": actor.can(Cap.TEAMS_MANAGE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, team_id: str) -> HttpResponse:
    actor = _user(request)
    team = selectors.get_team_for_user(actor, team_id)
    people = selectors.users_visible_to(actor).filter(is_active=True)
    memberships = list(team.memberships.all())
    team_form = TeamForm(initial={"name": team.name, "description": team.description})
    members_form = TeamMembersForm(
        people=people,
        initial={
            "members": [m.user_id for m in memberships],
            "leads": [m.user_id for m in memberships if m.is_lead],
        },
    )
    if request.method == "POST":
        if "members-submit" in request.POST:
            members_form = TeamMembersForm(request.POST, people=people)
            form: Any = members_form
        else:
            team_form = TeamForm(request.POST)
            form = team_form
        if form.is_valid():
            with domain_errors_to_form(form):
                if form is members_form:
                    services.set_team_members(actor, team, **form.cleaned_data)
                else:
                    services.update_team(actor, team, **form.cleaned_data)
                messages.success(request, f"Team “{team.name}” saved.")
                return redirect("accounts:team_edit", team_id=team.public_id)
    return render(
        request,
        "accounts/team_edit.html",
        {
            "team": team,
            "team_form": team_form,
            "members_form": members_form,
            "can_manage": actor.can(Cap.TEAMS_MANAGE),
        },
    )


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    form = AuditFilterForm(request.GET or None)
    filters = selectors.AuditFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.AuditFilter(
            actor=data["actor"],
            action=data["action"],
            object_type=data["object_type"],
            since=_day_start(data["since"]),
            until=_day_start(data["until"], days=1),
        )
    entries = selectors.audit_entries_visible_to(actor, filters).select_related(None)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "accounts/_audit_rows.html" if request.htmx else "accounts/audit_log.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _day_start(day: dt.date | None, days: int = 0) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time.min, tzinfo=dt.UTC)
