from django.urls import path

from rapport.channels import views

app_name = "channels"

urlpatterns = [
    path("channels/", views.channel_list, name="list"),
    path("channels/new/", views.channel_create, name="create"),
    path("channels/<uuid:channel_id>/", views.channel_detail, name="detail"),
    path("channels/<uuid:channel_id>/check/", views.channel_check, name="check"),
    path("channels/<uuid:channel_id>/pause/", views.channel_pause, name="pause"),
    path("channels/<uuid:channel_id>/remove/", views.channel_remove, name="remove"),
    # Public: signed deliveries from other systems, and the customers' contact form.
    path("channels/<uuid:channel_id>/webhook", views.webhook_receive, name="webhook"),
    path("contact/<slug:organisation_slug>/", views.contact, name="contact"),
]
