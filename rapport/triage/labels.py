"""The label sets of every ``Triage`` field (the customer-service taxonomy)."""

from __future__ import annotations

KINDS = ("question", "complaint", "review", "ugc", "praise", "abuse", "spam", "other")
PERSONAS = (
    "troll",
    "angry_customer",
    "misguided_customer",
    "unhappy_customer",
    "complimentary_customer",
    "brand_advocate",
    "neutral",
)
SENTIMENTS = ("negative", "neutral", "positive")
EMOTIONS = ("anger", "joy", "optimism", "sadness")
URGENCIES = ("low", "normal", "high", "critical")
RISK_TOPICS = ("safety", "legal", "media", "refund_refused", "churn")

# Platforms whose messages only the brand sees; the rest are public.
PRIVATE_PLATFORMS = frozenset(
    {
        "email",
        "dm",
        "direct_message",
        "form",
        "webform",
        "web_form",
        "chat",
        "sms",
        "whatsapp",
        "messenger",
        "phone",
    }
)
# Platforms whose posts are reviews by nature.
REVIEW_PLATFORMS = frozenset(
    {
        "review",
        "reviews",
        "google",
        "google_reviews",
        "yelp",
        "trustpilot",
        "tripadvisor",
        "app_store",
        "appstore",
        "play_store",
        "google_play",
        "amazon_review",
        "g2",
        "capterra",
    }
)
# Platforms where posting a photo or video about a brand is the usual thing.
MEDIA_PLATFORMS = frozenset({"instagram", "tiktok", "youtube", "pinterest", "flickr"})

# Prediction tasks of ``rapport triage predict`` beyond the engine's own heads.
TASKS = ("sentiment", "offensive", "hate", "irony", "emotion", "complaint", "banking77")
