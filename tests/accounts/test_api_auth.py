import datetime as dt

from django.test import Client
from django.utils import timezone

from rapport.accounts import services
from rapport.accounts.models import ApiToken
from tests.conftest import ApiClient


def test_bad_token_gets_401_in_the_error_shape(db):
    response = ApiClient("rpt_not-a-real-token").get("/me")

    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": "Missing, invalid, expired or revoked credentials.",
        "details": None,
    }


def test_no_credentials_gets_401(db):
    response = ApiClient().get("/me")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_token_authenticates_and_records_last_use(alice):
    token, raw = services.create_api_token(alice, name="crm")

    response = ApiClient(raw).get("/me")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == alice.email
    assert body["role"] == "agent"
    assert body["organisation"]["name"] == "Northwind"
    assert "write" in body["capabilities"] and "users.manage" not in body["capabilities"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_is_stored_hashed_and_shown_only_once(alice, api_as):
    api = api_as(alice)

    created = api.post("/tokens", {"name": "Zapier"})
    listed = api.get("/tokens")

    assert created.status_code == 201
    raw = created.json()["token"]
    assert raw.startswith("rpt_") and len(raw) > 40
    assert not ApiToken.objects.filter(token_hash=raw).exists()
    assert all("token" not in t for t in listed.json())
    assert ApiClient(raw).get("/me").status_code == 200


def test_revoked_token_stops_working(alice, api_as):
    api = api_as(alice)
    created = api.post("/tokens", {"name": "temp"}).json()

    revoked = api.delete(f"/tokens/{created['id']}")

    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert ApiClient(created["token"]).get("/me").status_code == 401


def test_expired_token_is_refused(alice):
    token, raw = services.create_api_token(alice, name="short")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert ApiClient(raw).get("/me").status_code == 401


def test_token_of_deactivated_user_is_refused(alice, ada):
    _, raw = services.create_api_token(alice, name="x")

    services.update_user(ada, alice, is_active=False)

    assert ApiClient(raw).get("/me").status_code == 401


def test_token_expiry_in_the_past_is_a_clear_400(alice, api_as):
    response = api_as(alice).post("/tokens", {"name": "old", "expires_at": "2001-01-01T00:00:00"})

    assert response.status_code == 400
    assert response.json()["code"] == "expiry_in_past"


def test_user_cannot_revoke_someone_elses_token(alice, bob, api_as):
    token, _ = services.create_api_token(bob, name="bob's")

    response = api_as(alice).delete(f"/tokens/{token.public_id}")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_admin_can_revoke_a_colleagues_token(alice, ada, api_as):
    token, _ = services.create_api_token(alice, name="leaked")

    response = api_as(ada).delete(f"/tokens/{token.public_id}")

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_session_auth_works_for_reads_and_needs_csrf_for_writes(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    read = client.get("/api/v1/me")
    write = client.post("/api/v1/tokens", data='{"name": "x"}', content_type="application/json")

    assert read.status_code == 200
    assert write.status_code in (401, 403)
    assert write.json()["code"] in ("unauthenticated", "forbidden")
