from rapport.accounts.models import AuditEntry


def test_supervisor_creates_a_team_and_sets_members(sam, alice, bob, api_as):
    api = api_as(sam)

    team = api.post("/teams", {"name": "Escalations", "description": "Hard cases"}).json()
    response = api.put(
        f"/teams/{team['id']}/members",
        {"members": [str(alice.public_id), str(bob.public_id)], "leads": [str(alice.public_id)]},
    )

    assert response.status_code == 200
    members = {m["email"]: m["is_lead"] for m in response.json()["members"]}
    assert members == {alice.email: True, bob.email: False}
    assert AuditEntry.objects.filter(action="team.members_set", object_id=team["id"]).exists()


def test_setting_members_again_removes_those_left_out(sam, alice, bob, api_as):
    api = api_as(sam)
    team = api.post("/teams", {"name": "Night shift"}).json()
    api.put(f"/teams/{team['id']}/members", {"members": [str(alice.public_id), str(bob.public_id)]})

    response = api.put(f"/teams/{team['id']}/members", {"members": [str(bob.public_id)]})

    assert [m["email"] for m in response.json()["members"]] == [bob.email]


def test_team_names_are_unique_per_organisation(sam, api_as):
    api = api_as(sam)
    api.post("/teams", {"name": "Billing"})

    response = api.post("/teams", {"name": "billing"})

    assert response.status_code == 409
    assert response.json()["code"] == "team_name_taken"


def test_a_lead_must_be_a_member(sam, alice, api_as):
    api = api_as(sam)
    team = api.post("/teams", {"name": "Leads"}).json()

    response = api.put(
        f"/teams/{team['id']}/members", {"members": [], "leads": [str(alice.public_id)]}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "lead_not_member"


def test_people_from_another_organisation_cannot_join(sam, charlie, api_as):
    api = api_as(sam)
    team = api.post("/teams", {"name": "Mixed"}).json()

    response = api.put(f"/teams/{team['id']}/members", {"members": [str(charlie.public_id)]})

    assert response.status_code == 403


def test_agents_and_analysts_cannot_create_or_rename_teams(alice, ana, sam, api_as):
    team = api_as(sam).post("/teams", {"name": "Stable"}).json()

    for actor in (alice, ana):
        api = api_as(actor)
        assert api.post("/teams", {"name": "Rogue"}).status_code == 403
        assert api.patch(f"/teams/{team['id']}", {"name": "Renamed"}).status_code == 403
        assert api.put(f"/teams/{team['id']}/members", {"members": []}).status_code == 403


def test_outsider_cannot_see_or_change_teams(sam, charlie, api_as):
    team = api_as(sam).post("/teams", {"name": "Private"}).json()
    api = api_as(charlie)

    assert api.get("/teams").json()["items"] == []
    assert api.patch(f"/teams/{team['id']}", {"name": "Mine"}).status_code == 404
