from django.urls import path

from rapport.insights import views

app_name = "insights"

urlpatterns: list = [
    # Dashboards, comparisons and exports (helper I1).
    path("", views.service_dashboard, name="service"),
    path("people/", views.people, name="people"),
    path("social/", views.social_dashboard, name="social"),
    path("compare/", views.comparison, name="compare"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
    # Alerts, the monthly report and recommendations (helper I2).
    path("alerts/", views.alerts_page, name="alerts"),
    path("alerts/<uuid:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("reports/", views.reports_index, name="reports"),
    path("reports/recipients/", views.recipients, name="recipients"),
    path(
        "reports/recipients/<int:recipient_id>/remove/",
        views.recipient_remove,
        name="recipient_remove",
    ),
    path("reports/<str:month>/", views.report_page, name="report"),
    path("reports/<str:month>/pdf/", views.report_pdf, name="report_pdf"),
    path(
        "recommendations/<uuid:recommendation_id>/decide/",
        views.recommendation_decide,
        name="recommendation_decide",
    ),
]
