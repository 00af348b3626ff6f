from django.urls import path

from rapport.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("list/", views.conversation_list, name="list"),
    path("c/<uuid:conversation_id>/", views.conversation, name="conversation"),
    path("c/<uuid:conversation_id>/reply/", views.reply, name="reply"),
    path("c/<uuid:conversation_id>/update/", views.update, name="update"),
    path("c/<uuid:conversation_id>/resolve/", views.resolve_complaint, name="resolve"),
    path("attachments/<uuid:attachment_id>/", views.attachment, name="attachment"),
]
