from django.urls import path

from rapport.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("responses/", views.response_list, name="responses"),
    path("<uuid:survey_id>/", views.survey_detail, name="detail"),
    path("<uuid:survey_id>/delete/", views.survey_delete, name="delete"),
    path("<uuid:survey_id>/questions/new/", views.question_edit, name="question_add"),
    path("<uuid:survey_id>/questions/<uuid:question_id>/", views.question_edit, name="question"),
    path(
        "<uuid:survey_id>/questions/<uuid:question_id>/action/",
        views.question_action,
        name="question_action",
    ),
    # The customer's side: no login.
    path("r/<str:token>/", views.answer, name="answer"),
    path("s/<uuid:survey_id>/", views.public, name="public"),
]
