"""Forms for the channel pages and the public contact form: they validate; services act."""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.channels import registry
from rapport.channels.models import ChannelKind

# Form field -> (where it goes, its key there). Only the fields the kind uses are kept.
_FIELDS: dict[str, tuple[str, str]] = {
    "base_url": ("config", "base_url"),
    "hashtags": ("config", "hashtags"),
    "access_token": ("secrets", "access_token"),
    "handle": ("config", "handle"),
    "app_password": ("secrets", "app_password"),
    "url": ("config", "url"),
    "address": ("config", "address"),
    "imap_host": ("config", "imap_host"),
    "imap_port": ("config", "imap_port"),
    "smtp_host": ("config", "smtp_host"),
    "smtp_port": ("config", "smtp_port"),
    "username": ("config", "username"),
    "password": ("secrets", "password"),
    "webhook_secret": ("secrets", "webhook_secret"),
}


def _secret(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=2000,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class ChannelForm(forms.Form):
    """One form for every kind; the fields a kind does not use are ignored."""

    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=ChannelKind.choices)
    sync_interval_seconds = forms.IntegerField(
        label="Check every (seconds)",
        min_value=10,
        max_value=86400,
        initial=60,
        required=False,
        # A text box with a numeric keyboard: styled like every other field.
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    base_url = forms.URLField(
        assume_scheme="https",
        label="Server address",
        required=False,
        help_text="Mastodon or sandbox: e.g. https://mastodon.social",
        widget=forms.TextInput(attrs={"inputmode": "url"}),
    )
    hashtags = forms.CharField(
        required=False, help_text="Mastodon or sandbox: hashtags to listen to, space-separated"
    )
    access_token = _secret("Access token", "Mastodon or sandbox")
    handle = forms.CharField(required=False, max_length=255, help_text="Bluesky handle")
    app_password = _secret("App password", "Bluesky")
    url = forms.URLField(
        assume_scheme="https",
        label="Feed address",
        required=False,
        help_text="Review feed (RSS/Atom)",
        widget=forms.TextInput(attrs={"inputmode": "url"}),
    )
    address = forms.EmailField(label="Mailbox address", required=False)
    imap_host = forms.CharField(label="IMAP server", required=False, max_length=255)
    imap_port = forms.IntegerField(
        label="IMAP port",
        required=False,
        initial=993,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    smtp_host = forms.CharField(label="SMTP server", required=False, max_length=255)
    smtp_port = forms.IntegerField(
        label="SMTP port",
        required=False,
        initial=587,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    username = forms.CharField(label="Mail login", required=False, max_length=255)
    password = _secret("Mail password")
    webhook_secret = _secret("Webhook signing secret", "Webhook: leave empty to have one generated")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        for name, (where, key) in _FIELDS.items():
            kinds = [
                kind
                for kind, spec in registry.SPECS.items()
                if key in (spec.config if where == "config" else spec.secrets)
            ]
            # The page shows only the fields of the chosen kind (channels/kind-fields.js).
            self.fields[name].widget.attrs["data-kinds"] = " ".join(kinds)
        # Pushed kinds (webhook, form) and phone logs are never polled.
        polled = " ".join(sorted(registry.FETCHING_KINDS))
        self.fields["sync_interval_seconds"].widget.attrs["data-kinds"] = polled
        if editing:
            self.fields["kind"].disabled = True
            kind = str(self.initial.get("kind") or "")
            for name in [*_FIELDS, "sync_interval_seconds"]:
                if kind not in self.fields[name].widget.attrs["data-kinds"].split():
                    del self.fields[name]  # a channel's kind never changes
                elif _FIELDS.get(name, ("",))[0] == "secrets":
                    self.fields[name].help_text = "Stored encrypted; leave empty to keep it."

    def settings_for(self, kind: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Return (config, secrets) for `kind` from the cleaned data; empty secrets are left out."""
        spec = registry.SPECS[kind]
        config: dict[str, Any] = {}
        secrets: dict[str, str] = {}
        for name, (where, key) in _FIELDS.items():
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if where == "config" and key in spec.config:
                config[key] = value
            elif where == "secrets" and key in spec.secrets:
                secrets[key] = str(value)
        return config, secrets


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(max_length=254, label="Your email")
    subject = forms.CharField(max_length=200, required=False)
    message = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    # The honeypot: hidden from people, filled in by bots that fill in everything.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean_message(self) -> str:
        message: str = self.cleaned_data["message"].strip()
        if len(message) < 2:
            raise forms.ValidationError("Please write your message.")
        return message
