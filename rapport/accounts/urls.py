from django.contrib.auth import views as auth_views
from django.urls import path

from rapport.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.profile, name="profile"),
    path("account/tokens/", views.token_create, name="token_create"),
    path("account/tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("admin/users/", views.user_list, name="user_list"),
    path("admin/users/<uuid:user_id>/", views.user_edit, name="user_edit"),
    path("admin/teams/", views.team_list, name="team_list"),
    path("admin/teams/<uuid:team_id>/", views.team_edit, name="team_edit"),
    path("admin/audit/", views.audit_log, name="audit_log"),
]
