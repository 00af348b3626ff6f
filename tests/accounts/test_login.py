from django.conf import settings
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import AuditEntry
from tests.conftest import PASSWORD


def login(client: Client, email: str, password: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_login_page_renders_for_anonymous_visitor(db):
    response = Client().get(reverse("accounts:login"))

    assert response.status_code == 200
    assert b'name="username"' in response.content and b'type="password"' in response.content


def test_home_redirects_anonymous_visitor_to_login(db):
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_user_logs_in_by_email_and_is_audited(alice):
    client = Client()

    response = login(client, "Alice@Northwind.test", PASSWORD)

    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="user.login", actor=alice).exists()


def test_wrong_password_is_refused_with_a_message(alice):
    response = login(Client(), alice.email, "wrong-password")

    assert response.status_code == 200
    assert b"do not match" in response.content


def test_inactive_user_cannot_log_in(alice):
    alice.is_active = False
    alice.save()

    response = login(Client(), alice.email, PASSWORD)

    assert response.status_code == 200
    assert b"do not match" in response.content


def test_repeated_failures_lock_the_login_even_with_the_right_password(alice):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, alice.email, "wrong-password")

    response = login(client, alice.email, PASSWORD)

    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert client.get("/").status_code == 302


def test_lockout_is_per_account_not_for_everyone(alice, bob):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, alice.email, "wrong-password")

    response = login(client, bob.email, PASSWORD)

    assert response.status_code == 302


def test_logout_needs_post_and_ends_the_session(alice, web_as):
    client = web_as(alice)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="user.logout", actor=alice).exists()


def test_password_change_keeps_the_session_and_is_audited(alice, web_as):
    client = web_as(alice)
    new = "a-much-better-passphrase-42"

    response = client.post(
        reverse("accounts:profile"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    assert client.get("/").status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(new)
    assert AuditEntry.objects.filter(
        action="user.password_set", object_id=str(alice.public_id)
    ).exists()


def test_password_change_refuses_wrong_old_password_and_weak_new_one(alice, web_as):
    client = web_as(alice)

    wrong_old = client.post(
        reverse("accounts:profile"),
        {
            "old_password": "nope",
            "new_password1": "x-good-pass-99",
            "new_password2": "x-good-pass-99",
        },
    )
    weak = client.post(
        reverse("accounts:profile"),
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )

    assert wrong_old.status_code == 200 and weak.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_production_hashes_passwords_with_argon2():
    from rapport import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
