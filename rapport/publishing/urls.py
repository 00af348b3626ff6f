from django.urls import path

from rapport.publishing import views

app_name = "publishing"

urlpatterns = [
    path("", views.home, name="home"),
    # Posts
    path("posts/", views.post_list, name="post_list"),
    path("posts/new/", views.compose, name="compose"),
    path("posts/check/", views.compose_check, name="compose_check"),
    path("posts/<uuid:post_id>/", views.post_detail, name="post_detail"),
    path("posts/<uuid:post_id>/edit/", views.compose, name="post_edit"),
    path("posts/<uuid:post_id>/submit/", views.post_submit, name="post_submit"),
    path("posts/<uuid:post_id>/review/", views.post_review, name="post_review"),
    path("posts/<uuid:post_id>/schedule/", views.post_schedule, name="post_schedule"),
    path("posts/<uuid:post_id>/publish/", views.post_publish_now, name="post_publish_now"),
    path("posts/<uuid:post_id>/cancel/", views.post_cancel, name="post_cancel"),
    path("review/", views.review_queue, name="review_queue"),
    # Calendar
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/events/", views.calendar_events, name="calendar_events"),
    path("calendar/move/", views.calendar_move, name="calendar_move"),
    path("calendar/entries/new/", views.entry_create, name="entry_create"),
    path("calendar/entries/<uuid:entry_id>/", views.entry_detail, name="entry_detail"),
    path("calendar/entries/<uuid:entry_id>/delete/", views.entry_delete, name="entry_delete"),
    path("calendar/feed-token/", views.feed_token, name="feed_token"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    # Asset library
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/new/", views.asset_create, name="asset_create"),
    path("assets/<uuid:asset_id>/", views.asset_detail, name="asset_detail"),
    path("assets/<uuid:asset_id>/file", views.asset_file, name="asset_file"),
    path("assets/<uuid:asset_id>/thumbnail", views.asset_thumbnail, name="asset_thumbnail"),
    path("assets/<uuid:asset_id>/archive/", views.asset_archive, name="asset_archive"),
    path("assets/<uuid:asset_id>/permission/", views.asset_permission, name="asset_permission"),
    # Platform research
    path("research/", views.research_home, name="research"),
    path("research/load/", views.research_load, name="research_load"),
    path("research/compare/", views.research_compare, name="research_compare"),
    path("research/new/", views.research_create, name="research_create"),
    path("research/platforms/<slug:slug>/", views.platform_detail, name="platform_detail"),
    path("research/platforms/<slug:slug>/facts/", views.fact_add, name="fact_add"),
    path("research/facts/<uuid:fact_id>/", views.fact_edit, name="fact_edit"),
    path("research/<uuid:research_id>/", views.research_detail, name="research_detail"),
    path("research/<uuid:research_id>/score/", views.research_score, name="research_score"),
    path("research/<uuid:research_id>/decide/", views.research_decide, name="research_decide"),
    # Campaigns
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<uuid:campaign_id>/ugc/<uuid:item_id>/permission/",
        views.ugc_permission,
        name="ugc_permission",
    ),
    # Settings: approval rules, best times, banned words
    path("settings/", views.publishing_settings, name="settings"),
    path("settings/accounts/<uuid:channel_id>/rule/", views.account_rule, name="account_rule"),
    path("settings/accounts/<uuid:channel_id>/slots/", views.account_slots, name="account_slots"),
    path("settings/banned-words/", views.banned_word, name="banned_word"),
    path("posts/<uuid:post_id>/queue/", views.post_queue, name="post_queue"),
    # Accounts
    path("accounts/<uuid:channel_id>/profile/", views.profile_versions, name="profile_versions"),
    path(
        "accounts/<uuid:channel_id>/profile/new/",
        views.profile_version_create,
        name="profile_version_create",
    ),
    path(
        "accounts/<uuid:channel_id>/profile/<uuid:version_id>/apply/",
        views.profile_version_apply,
        name="profile_version_apply",
    ),
]
