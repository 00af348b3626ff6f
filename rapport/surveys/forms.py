"""Forms for the staff pages: a survey's settings and one question at a time.

Wording per language is written one line per language, `en: How did we do?`,
so a survey in three languages is three lines.
"""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.channels.models import ChannelKind
from rapport.inbox.models import Kind
from rapport.surveys.models import QuestionKind, Survey, Trigger
from rapport.surveys.services import NEVER_SURVEYED_KINDS

WORDING_HELP = "One line per language, e.g. “en: How did we do?” and “fr: Comment était-ce ?”."


def parse_translations(text: str, default_language: str) -> dict[str, str]:
    """Read `code: text` lines; a line without a code is in the default language."""
    result: dict[str, str] = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        code, sep, rest = line.partition(":")
        if sep and 2 <= len(code.strip()) <= 8 and " " not in code.strip():
            result[code.strip()] = rest.strip()
        else:
            result[default_language] = (result.get(default_language, "") + " " + line).strip()
    return result


def format_translations(texts: dict[str, str] | None, default_language: str) -> str:
    texts = texts or {}
    order = [default_language, *sorted(k for k in texts if k != default_language)]
    return "\n".join(f"{code}: {texts[code]}" for code in order if code in texts)


class SurveyCreateForm(forms.Form):
    name = forms.CharField(max_length=120)
    trigger = forms.ChoiceField(choices=Trigger.choices, initial=Trigger.ON_RESOLVE)
    with_standard_questions = forms.BooleanField(
        required=False,
        initial=True,
        label="Start with CSAT, NPS and a comment question",
    )


class SurveySettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    active = forms.BooleanField(required=False, help_text="Active surveys are sent.")
    trigger = forms.ChoiceField(choices=Trigger.choices)
    channel_kinds = forms.MultipleChoiceField(
        choices=ChannelKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every channel.",
    )
    conversation_kinds = forms.MultipleChoiceField(
        choices=[(k, label) for k, label in Kind.choices if k not in NEVER_SURVEYED_KINDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every kind (spam and abuse are never surveyed).",
    )
    cooldown_days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        label="Never invite a customer twice in (days)",
        help_text="Counts invitations to any survey.",
    )
    expires_after_days = forms.IntegerField(
        min_value=1, max_value=365, label="Link valid for (days)"
    )
    require_consent = forms.BooleanField(
        required=False, label="Only customers who gave marketing consent"
    )
    default_language = forms.CharField(max_length=12)
    intro = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=WORDING_HELP
    )
    thank_you = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Thank-you text"
    )
    segment_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        label="Scheduled: customers with a conversation resolved in the last (days)",
    )
    segment_tags = forms.CharField(
        required=False,
        max_length=1000,
        label="Scheduled: only conversations with one of these tags",
        help_text="Comma-separated; empty: any.",
    )
    schedule_every_days = forms.IntegerField(
        min_value=1, max_value=365, label="Scheduled: run every (days)"
    )

    @classmethod
    def for_survey(cls, survey: Survey, data: Any = None) -> SurveySettingsForm:
        initial = {
            name: getattr(survey, name)
            for name in (
                "name",
                "active",
                "trigger",
                "channel_kinds",
                "conversation_kinds",
                "cooldown_days",
                "expires_after_days",
                "require_consent",
                "default_language",
                "segment_days",
                "schedule_every_days",
            )
        }
        initial["intro"] = format_translations(survey.intro, survey.default_language)
        initial["thank_you"] = format_translations(survey.thank_you, survey.default_language)
        initial["segment_tags"] = ", ".join(survey.segment_tags)
        return cls(data, initial=initial)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        language = data["default_language"].strip()
        data["intro"] = parse_translations(data["intro"], language)
        data["thank_you"] = parse_translations(data["thank_you"], language)
        data["segment_tags"] = [t.strip() for t in data["segment_tags"].split(",") if t.strip()]
        return data


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(choices=QuestionKind.choices)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Wording", help_text=WORDING_HELP
    )
    required = forms.BooleanField(required=False, initial=True)
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Choices (custom choice questions)",
        help_text="One choice per line, in the default language.",
    )
    scale_min = forms.IntegerField(required=False, min_value=0, max_value=100, initial=1)
    scale_max = forms.IntegerField(required=False, min_value=0, max_value=100, initial=5)

    def spec(self, default_language: str, question_id: str = "") -> dict[str, Any]:
        data = self.cleaned_data
        options: dict[str, Any] = {}
        if data["kind"] == QuestionKind.CHOICE:
            options["choices"] = [c.strip() for c in data["choices"].splitlines() if c.strip()]
        elif data["kind"] == QuestionKind.SCALE:
            options = {"min": data.get("scale_min") or 0, "max": data.get("scale_max") or 0}
        spec = {
            "kind": data["kind"],
            "text": parse_translations(data["text"], default_language),
            "required": data["required"],
            "options": options,
        }
        if question_id:
            spec["id"] = question_id
        return spec
