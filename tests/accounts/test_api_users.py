import uuid

import pytest

from rapport.accounts.models import AuditEntry, User


def test_admin_creates_a_user_and_the_change_is_audited(ada, api_as):
    response = api_as(ada).post(
        "/users", {"email": "New.Person@Northwind.test", "role": "agent", "full_name": "New Person"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new.person@northwind.test" and body["role"] == "agent"
    entry = AuditEntry.objects.get(action="user.create", object_id=body["id"])
    assert entry.actor == ada
    assert entry.changes["role"] == [None, "agent"]
    assert entry.request_id


def test_duplicate_email_is_a_conflict(ada, alice, api_as):
    response = api_as(ada).post("/users", {"email": alice.email.upper(), "role": "agent"})

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "role": "agent"},
        {"email": "x@northwind.test", "role": "emperor"},
        {"email": "x@northwind.test"},
        {"email": 42, "role": "agent"},
        {"email": "x@northwind.test", "role": "agent", "full_name": "x" * 151},
        [],
    ],
)
def test_invalid_body_gets_422_with_details_and_writes_nothing(ada, api_as, body):
    before = User.objects.count()

    response = api_as(ada).post("/users", body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["details"]
    assert User.objects.count() == before


def test_malformed_json_is_a_4xx_not_a_500(ada, api_as):
    response = api_as(ada).post("/users", raw="{not json")

    assert 400 <= response.status_code < 500
    assert response.json()["code"] in ("bad_request", "validation_error")


def test_weak_password_is_refused_with_a_reason(ada, api_as):
    response = api_as(ada).post(
        "/users", {"email": "p@northwind.test", "role": "agent", "password": "123"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert not User.objects.filter(email="p@northwind.test").exists()


def test_unknown_and_malformed_ids_are_404_or_422(ada, api_as):
    api = api_as(ada)

    assert api.get(f"/users/{uuid.uuid4()}").status_code == 404
    assert api.get("/users/not-a-uuid").status_code == 422
    assert api.get("/nowhere").status_code == 404
    assert api.get("/nowhere").json()["code"] == "not_found"


def test_admin_changes_a_role_and_deactivates(ada, alice, api_as):
    response = api_as(ada).patch(
        f"/users/{alice.public_id}", {"role": "supervisor", "is_active": False}
    )

    assert response.status_code == 200
    assert response.json()["role"] == "supervisor" and response.json()["is_active"] is False
    entry = AuditEntry.objects.get(action="user.update", object_id=str(alice.public_id))
    assert entry.changes == {"role": ["agent", "supervisor"], "is_active": [True, False]}


def test_last_admin_cannot_demote_themselves(ada, api_as):
    response = api_as(ada).patch(f"/users/{ada.public_id}", {"role": "agent"})

    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    ada.refresh_from_db()
    assert ada.role == "admin"


@pytest.mark.parametrize("who", ["ana", "ash", "alice", "sam", "morgan"])
def test_non_admins_cannot_create_or_change_users(who, request, alice, api_as):
    actor = request.getfixturevalue(who)
    api = api_as(actor)

    created = api.post("/users", {"email": "sneaky@northwind.test", "role": "admin"})
    changed = api.patch(f"/users/{alice.public_id}", {"role": "admin"})

    assert created.status_code == 403 and created.json()["code"] == "forbidden"
    assert changed.status_code == 403
    alice.refresh_from_db()
    assert alice.role == "agent"


def test_outsider_sees_none_of_the_organisations_users(charlie, alice, ada, api_as):
    api = api_as(charlie)

    listed = api.get("/users").json()
    one = api.get(f"/users/{alice.public_id}")
    change = api.patch(f"/users/{alice.public_id}", {"role": "admin"})

    assert [u["email"] for u in listed["items"]] == [charlie.email]
    assert one.status_code == 404
    assert change.status_code == 404


def test_user_list_is_paginated_with_bounded_queries(
    ada, alice, bob, sam, api_as, django_assert_max_num_queries
):
    api = api_as(ada)

    with django_assert_max_num_queries(6):
        response = api.get("/users?limit=2")

    body = response.json()
    assert body["count"] == 4 and len(body["items"]) == 2
