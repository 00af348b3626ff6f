"""Forms for the publishing pages: they validate shapes; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.publishing.models import (
    Aspect,
    AssetKind,
    AssetSource,
    CampaignKind,
    EntryKind,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class AssetDetailsForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    alt_text = forms.CharField(
        max_length=1000,
        required=False,
        label="Alt text",
        help_text="What the image shows, for people using screen readers.",
    )
    tags = forms.CharField(
        max_length=900, required=False, help_text="Comma-separated, e.g. summer, shoes"
    )
    source = forms.ChoiceField(choices=AssetSource.choices, initial=AssetSource.OWN)
    licence = forms.CharField(
        max_length=200, required=False, help_text="The exact licence, e.g. CC BY-SA 4.0"
    )
    licence_url = forms.URLField(
        max_length=500, assume_scheme="https", required=False, label="Licence URL"
    )
    licence_expires_on = forms.DateField(required=False, widget=DATE, label="Licence expires on")
    attribution_required = forms.BooleanField(required=False)
    attribution_text = forms.CharField(max_length=500, required=False)
    creator_handle = forms.CharField(
        max_length=200, required=False, help_text="For user-generated content: @creator"
    )


class AssetCreateForm(AssetDetailsForm):
    file = forms.FileField(required=False, help_text="Image, PDF, audio, video or plain text")
    url = forms.URLField(max_length=1000, assume_scheme="https", required=False, label="…or a link")
    link_kind = forms.ChoiceField(
        choices=[(k, v) for k, v in AssetKind.choices if k != AssetKind.TEXT],
        initial=AssetKind.LINK,
        required=False,
        label="The link is a",
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="…or the text itself"
    )
    field_order = ["file", "url", "link_kind", "body", "title"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [bool(data.get("file")), bool(data.get("url")), bool(data.get("body"))]
        if sum(given) != 1:
            raise forms.ValidationError("Give exactly one of: a file, a link, or the text.")
        if not data.get("file") and not data.get("title"):
            self.add_error("title", "A link or text asset needs a title.")
        return data


class AssetPermissionForm(forms.Form):
    creator_handle = forms.CharField(max_length=200)
    granted_on = forms.DateField(widget=DATE, label="Permission granted on")


class EntryForm(forms.Form):
    kind = forms.ChoiceField(choices=EntryKind.choices)
    title = forms.CharField(max_length=200)
    all_day = forms.BooleanField(required=False, initial=True)
    starts_on = forms.DateField(widget=DATE, required=False, label="First day")
    ends_on = forms.DateField(widget=DATE, required=False, label="Last day")
    starts_at = forms.DateTimeField(
        widget=DATETIME, input_formats=DATETIME_FORMATS, required=False, label="Starts at"
    )
    ends_at = forms.DateTimeField(
        widget=DATETIME, input_formats=DATETIME_FORMATS, required=False, label="Ends at"
    )
    campaign = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, label="Account")
    colour = forms.CharField(
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="Leave as is to use the campaign's colour",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, campaigns: Any = (), channels: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        campaign_field: Any = self.fields["campaign"]
        campaign_field.choices = [("", "—")] + [(str(c.public_id), c.name) for c in campaigns]
        channel_field: Any = self.fields["channel"]
        channel_field.choices = [("", "—")] + [(str(c.public_id), c.name) for c in channels]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("all_day"):
            if not data.get("starts_on"):
                self.add_error("starts_on", "Which day?")
            elif data.get("ends_on") and data["ends_on"] < data["starts_on"]:
                self.add_error("ends_on", "The last day is before the first.")
        elif not data.get("starts_at"):
            self.add_error("starts_at", "When does it start?")
        elif data.get("ends_at") and data["ends_at"] < data["starts_at"]:
            self.add_error("ends_at", "The end is before the start.")
        return data


class PlatformForm(forms.Form):
    name = forms.CharField(max_length=100)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    website = forms.URLField(max_length=300, assume_scheme="https", required=False)


class FactForm(forms.Form):
    aspect = forms.ChoiceField(choices=Aspect.choices)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Statement")
    source_name = forms.CharField(max_length=200, required=False, label="Source")
    source_url = forms.URLField(
        max_length=500, assume_scheme="https", required=False, label="Source URL"
    )
    as_of = forms.DateField(widget=DATE, required=False, label="True as of")


class ResearchForm(forms.Form):
    title = forms.CharField(max_length=200)
    brand = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Voice, values, what the brand sells"
    )
    target_customer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who buys: age, place, habits, where they spend time online",
    )


SCORE_CHOICES = [(i, str(i)) for i in range(1, 6)]


class ScoreForm(forms.Form):
    platform = forms.SlugField()
    audience_fit = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int)
    business_fit = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int)
    usability = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int)
    privacy = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int)
    cost = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int)
    notes = forms.CharField(required=False, max_length=2000)


class DecisionForm(forms.Form):
    platform = forms.SlugField()
    selected = forms.TypedChoiceField(
        choices=[("1", "Use it"), ("0", "Do not use it")], coerce=lambda v: v == "1"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=150)
    kind = forms.ChoiceField(choices=CampaignKind.choices)
    goal = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    goal_metric = forms.ChoiceField(
        required=False,
        choices=[
            ("", "—"),
            ("engagement", "Engagement (favourites + boosts + replies)"),
            ("posts", "Posts published"),
            ("ugc_items", "User-generated posts collected"),
        ],
    )
    goal_target = forms.FloatField(required=False, min_value=0)
    starts_on = forms.DateField(widget=DATE, required=False)
    ends_on = forms.DateField(widget=DATE, required=False)
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Offers and competitions must publish their terms",
    )
    terms_url = forms.URLField(
        max_length=500, assume_scheme="https", required=False, label="Terms URL"
    )
    hashtag = forms.CharField(
        max_length=100, required=False, help_text="UGC campaigns collect posts with this hashtag"
    )
    colour = forms.CharField(max_length=7, widget=forms.TextInput(attrs={"type": "color"}))


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(widget=DATETIME, input_formats=DATETIME_FORMATS, label="Publish at")
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Override reason",
        help_text="Managers only: why this may go out despite its blocking findings",
    )
