from django.urls import path

from rapport.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<uuid:customer_id>/", views.customer_detail, name="detail"),
    path("<uuid:customer_id>/edit/", views.customer_edit, name="edit"),
    path(
        "<uuid:customer_id>/identities/<uuid:identity_id>/remove/",
        views.identity_remove,
        name="identity_remove",
    ),
    path("<uuid:customer_id>/merge/", views.customer_merge, name="merge"),
    path("merges/<uuid:merge_id>/undo/", views.merge_undo, name="merge_undo"),
    path("<uuid:customer_id>/export/", views.customer_export, name="export"),
    path("<uuid:customer_id>/export.json", views.customer_export_json, name="export_json"),
    path("<uuid:customer_id>/erase/", views.customer_erase, name="erase"),
]
