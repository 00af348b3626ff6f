from django.contrib import admin
from django.urls import include, path, re_path

from rapport.accounts import views as account_views
from rapport.api import api, not_found_view
from rapport.lib import health

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("rapport.accounts.urls")),
    path("inbox/", include("rapport.inbox.urls")),
    path("customers/", include("rapport.customers.urls")),
    path("sandbox/", include("rapport.sandbox.urls")),
    path("publishing/", include("rapport.publishing.urls")),
    path("surveys/", include("rapport.surveys.urls")),
    path("insights/", include("rapport.insights.urls")),
    path("", include("rapport.channels.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found_view),
    path("healthz", health.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
]

handler400 = "rapport.lib.health.bad_request"
handler403 = "rapport.lib.health.forbidden"
handler404 = "rapport.lib.health.not_found"
handler500 = "rapport.lib.health.server_error"
