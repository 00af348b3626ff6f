"""Forms for the accounts pages: they validate input; services do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from rapport.accounts.models import User
from rapport.accounts.roles import Role


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": "That email and password do not match an active account.",
        "inactive": "This account is inactive.",
    }


class UserCreateForm(forms.Form):
    email = forms.EmailField(max_length=254)
    full_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to set it later; the user cannot log in until then.",
    )


class UserEditForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices)
    is_active = forms.BooleanField(required=False, label="Active")


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TeamMembersForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    leads = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members_field = self.fields["members"]
        leads_field = self.fields["leads"]
        assert isinstance(members_field, forms.ModelMultipleChoiceField)
        assert isinstance(leads_field, forms.ModelMultipleChoiceField)
        members_field.queryset = people
        leads_field.queryset = people


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “CRM sync”.")
    expires_at = forms.DateField(
        required=False,
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The token stops working at the start of that day (UTC).",
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=254)
    action = forms.CharField(required=False, max_length=80)
    object_type = forms.CharField(required=False, max_length=80, label="Object type")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
