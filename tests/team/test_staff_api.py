from rapport.accounts import services as accounts
from rapport.inbox import services as inbox
from rapport.inbox.models import AssignmentMode, Conversation, RoutingRule
from rapport.team.models import Skill, StaffProfile
from tests.inbox.conftest import channel, event  # noqa: F401  (fixture)


def test_agent_sets_own_availability_but_not_capacity(alice, api_as):
    api = api_as(alice)

    away = api.patch("/staff/me", {"availability": "away"})
    capacity = api.patch("/staff/me", {"capacity": 99})

    assert away.status_code == 200 and away.json()["availability"] == "away"
    assert capacity.status_code == 403
    assert StaffProfile.objects.get(user=alice).capacity == 20


def test_routing_needs_the_skill_and_skips_the_unavailable(sam, alice, bob, channel, api_as):  # noqa: F811
    api = api_as(sam)
    api.post("/skills", {"name": "Refunds"})
    api.patch(f"/staff/{bob.public_id}", {"skills": [{"name": "Refunds", "proficiency": 4}]})
    api.patch(f"/staff/{alice.public_id}", {"skills": [{"name": "Refunds", "proficiency": 2}]})
    team = accounts.create_team(sam, name="Refund desk")
    accounts.set_team_members(sam, team, members=[alice, bob])
    RoutingRule.objects.create(
        organisation=sam.organisation,
        name="refunds",
        team=team,
        assignment=AssignmentMode.LEAST_LOADED,
        required_skill=Skill.objects.get(name="Refunds"),
        min_proficiency=3,
    )

    inbox.ingest(channel, [event("refund please", author_handle=f"@r{n}@x") for n in range(3)])

    assert set(Conversation.objects.values_list("assignee", flat=True)) == {bob.pk}


def test_nobody_over_capacity_gets_more(sam, alice, channel, api_as):  # noqa: F811
    api_as(sam).patch(f"/staff/{alice.public_id}", {"capacity": 1})
    team = accounts.create_team(sam, name="Tiny")
    accounts.set_team_members(sam, team, members=[alice])
    RoutingRule.objects.create(organisation=sam.organisation, name="all", team=team)

    inbox.ingest(channel, [event("x", author_handle=f"@c{n}@x") for n in range(3)])

    assert Conversation.objects.filter(assignee=alice).count() == 1
    assert Conversation.objects.filter(assignee__isnull=True).count() == 2


def test_unknown_skill_and_outsider_are_refused(sam, charlie, alice, api_as):
    assert (
        api_as(sam)
        .patch(f"/staff/{alice.public_id}", {"skills": [{"name": "Juggling", "proficiency": 3}]})
        .json()["code"]
        == "unknown_skill"
    )
    assert (
        api_as(charlie).patch(f"/staff/{alice.public_id}", {"availability": "away"}).status_code
        == 404
    )


def test_routed_agent_is_notified(sam, alice, channel, django_capture_on_commit_callbacks):  # noqa: F811
    from rapport.inbox.models import Notification

    team = accounts.create_team(sam, name="Solo")
    accounts.set_team_members(sam, team, members=[alice])
    RoutingRule.objects.create(organisation=sam.organisation, name="all", team=team)

    with django_capture_on_commit_callbacks(execute=True):
        inbox.ingest(channel, [event("hello")])

    assert Notification.objects.filter(user=alice, kind="assigned").count() == 1
