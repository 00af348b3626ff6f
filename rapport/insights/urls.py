from django.urls import path

from rapport.insights import views

app_name = "insights"

urlpatterns: list = [
    # Dashboards, comparisons and exports (helper I1).
    path("", views.service_dashboard, name="service"),
    path("social/", views.social_dashboard, name="social"),
    path("compare/", views.comparison, name="compare"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
]
