"""Forms for the customer pages: they validate input; services do the work."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from rapport.channels.models import ChannelKind
from rapport.customers.models import ContactChannel, CustomerKind
from rapport.customers.services import (
    MAX_ATTRIBUTE_KEY,
    MAX_ATTRIBUTE_TEXT,
    MAX_ATTRIBUTES,
    NewIdentity,
    normalise_identity,
)
from rapport.lib.errors import DomainError

# Email and phone first; then the platforms whose channels name people by handle.
PLATFORM_CHOICES = [("email", "Email"), ("phone", "Phone")] + [
    (kind.value, kind.label)
    for kind in ChannelKind
    if kind not in (ChannelKind.EMAIL, ChannelKind.PHONE, ChannelKind.WEBFORM)
]


class CustomerCreateForm(forms.Form):
    display_name = forms.CharField(max_length=200, label="Name")
    kind = forms.ChoiceField(choices=CustomerKind.choices, initial=CustomerKind.PUBLIC)
    company = forms.CharField(max_length=200, required=False, label="Company or organisation")
    email = forms.EmailField(max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False)

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if phone:
            try:
                normalise_identity("phone", phone)
            except DomainError as exc:
                raise forms.ValidationError(exc.message) from None
        return phone

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        handles = {"email": data.pop("email"), "phone": data.pop("phone")}
        identities = [NewIdentity(platform, h) for platform, h in handles.items() if h]
        return {**data, "identities": identities}


class CustomerForm(forms.Form):
    display_name = forms.CharField(max_length=200, label="Name")
    kind = forms.ChoiceField(choices=CustomerKind.choices)
    company = forms.CharField(max_length=200, required=False, label="Company or organisation")
    language = forms.CharField(
        max_length=12, required=False, help_text="A language tag, such as en or fr-CA."
    )
    preferred_contact = forms.ChoiceField(choices=ContactChannel.choices, label="Preferred contact")
    marketing_consent = forms.BooleanField(required=False, label="Consents to marketing")
    consent_source = forms.CharField(
        max_length=200,
        required=False,
        label="Consent source",
        help_text="Where consent was given or withdrawn, e.g. “web form, 3 May”. "
        "Needed when consent is given.",
    )
    notes = forms.CharField(
        max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    attributes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
        help_text=f"One per line, as “name: value”. At most {MAX_ATTRIBUTES}.",
    )

    def __init__(self, *args: Any, current_attributes: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_attributes = dict(current_attributes)

    @staticmethod
    def attributes_as_text(attributes: Mapping[str, Any]) -> str:
        return "\n".join(f"{key}: {_text(value)}" for key, value in attributes.items())

    def clean_attributes(self) -> dict[str, Any]:
        parsed: dict[str, Any] = {}
        for number, line in enumerate(self.cleaned_data["attributes"].splitlines(), start=1):
            if not line.strip():
                continue
            key, colon, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if not colon or not key:
                raise forms.ValidationError(f"Line {number}: write “name: value”.")
            if len(key) > MAX_ATTRIBUTE_KEY or len(value) > MAX_ATTRIBUTE_TEXT:
                raise forms.ValidationError(f"Line {number} is too long.")
            # A value left as it was keeps its type (a number set through the API stays one).
            old = self.current_attributes.get(key, value)
            parsed[key] = old if _text(old) == value else value
        if len(parsed) > MAX_ATTRIBUTES:
            raise forms.ValidationError(f"At most {MAX_ATTRIBUTES} attributes.")
        return parsed


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class IdentityForm(forms.Form):
    platform = forms.ChoiceField(choices=PLATFORM_CHOICES)
    handle = forms.CharField(
        max_length=320, help_text="An email address, a phone number or a handle such as @jo"
    )
    display_name = forms.CharField(max_length=200, required=False, label="Name shown there")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("platform") and data.get("handle"):
            try:
                normalise_identity(data["platform"], data["handle"])
            except DomainError as exc:
                self.add_error("handle", exc.message)
        return data


class EraseForm(forms.Form):
    confirm = forms.CharField(
        max_length=20,
        label="Type erase to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_confirm(self) -> str:
        value: str = self.cleaned_data["confirm"].strip().lower()
        if value != "erase":
            raise forms.ValidationError("Type the word erase to confirm.")
        return value
