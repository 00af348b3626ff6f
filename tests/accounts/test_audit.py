import pytest

from rapport.accounts import services
from rapport.accounts.models import AuditEntry


def test_audit_entries_cannot_be_changed_or_deleted(ada, alice):
    services.update_user(ada, alice, full_name="Alice A.")
    entry = AuditEntry.objects.filter(action="user.update").get()

    entry.action = "nothing.happened"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_api_offers_no_way_to_write_audit_entries(ada, api_as):
    api = api_as(ada)
    entry_id = api.get("/audit").json()["items"][0]["id"]

    assert api.post("/audit", {"action": "forged"}).status_code == 405
    assert api.delete(f"/audit/{entry_id}").status_code in (404, 405)


def test_admin_and_manager_browse_and_filter_the_audit_log(ada, morgan, alice, api_as):
    services.update_user(ada, alice, full_name="Alice Changed")

    for actor in (ada, morgan):
        body = api_as(actor).get("/audit?action=user.update").json()
        assert body["count"] == 1
        item = body["items"][0]
        assert item["actor"] == ada.email and item["object_id"] == str(alice.public_id)
        assert item["changes"] == {"full_name": ["Alice Agent", "Alice Changed"]}


@pytest.mark.parametrize("who", ["alice", "sam", "ana", "mara"])
def test_other_roles_cannot_read_the_audit_log(who, request, api_as):
    response = api_as(request.getfixturevalue(who)).get("/audit")

    assert response.status_code == 403


def test_outsider_sees_no_entries_of_another_organisation(ada, alice, charlie, api_as):
    services.update_user(ada, alice, full_name="Changed")

    items = api_as(charlie).get("/audit?limit=500").json()["items"]

    assert all(item["actor"] != ada.email for item in items)


def test_bad_filter_value_is_422(ada, api_as):
    response = api_as(ada).get("/audit?since=yesterday-ish")

    assert response.status_code == 422


def test_audit_list_has_bounded_queries(ada, alice, api_as, django_assert_max_num_queries):
    for n in range(30):
        services.update_user(ada, alice, full_name=f"Alice {n}")
    api = api_as(ada)

    with django_assert_max_num_queries(5):
        response = api.get("/audit?limit=100")

    assert len(response.json()["items"]) >= 30
