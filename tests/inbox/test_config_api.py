import pytest

from rapport.accounts.models import AuditEntry
from rapport.inbox import services
from rapport.inbox.models import Conversation, SlaPolicy
from tests.inbox.conftest import event

WEEKDAYS = {str(d): [["09:00", "17:00"]] for d in range(5)}


def test_supervisor_sets_up_hours_a_standard_and_routing(sam, alice, bob, org, channel, api_as):
    api = api_as(sam)
    team = api.post("/teams", {"name": "Care"}).json()
    api.put(
        f"/teams/{team['id']}/members",
        {"members": [str(alice.public_id), str(bob.public_id)]},
    )

    calendar = api.post(
        "/calendars",
        {
            "name": "Office",
            "time_zone": "Europe/London",
            "weekly_hours": WEEKDAYS,
            "holidays": ["2026-12-25"],
        },
    )
    policy = api.post(
        "/sla-policies",
        {
            "name": "Standard",
            "calendar": calendar.json()["id"],
            "is_default": True,
            "targets": [
                {"first_response_minutes": 60},
                {"kind": "complaint", "first_response_minutes": 30},
            ],
            "escalations": [{"action": "notify_supervisors"}],
        },
    )
    rule = api.post(
        "/routing-rules",
        {"name": "Everything to care", "team": team["id"], "assignment": "round_robin"},
    )

    assert calendar.status_code == 201 and policy.status_code == 201 and rule.status_code == 201
    services.ingest(channel, [event("a", author_handle="@1@x"), event("b", author_handle="@2@x")])
    owners = set(Conversation.objects.values_list("assignee__email", flat=True))
    assert owners == {alice.email, bob.email}
    assert all(c.sla_policy_id for c in Conversation.objects.all())
    assert (
        AuditEntry.objects.filter(
            action__in=["calendar.create", "sla_policy.create", "routing_rule.create"]
        ).count()
        == 3
    )


def test_only_one_policy_is_the_default(sam, api_as):
    api = api_as(sam)
    body = {"name": "A", "is_default": True, "targets": [{"first_response_minutes": 60}]}

    api.post("/sla-policies", body)
    api.post("/sla-policies", {**body, "name": "B"})

    assert list(SlaPolicy.objects.filter(is_default=True).values_list("name", flat=True)) == ["B"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "time_zone": "Mars/Olympus", "weekly_hours": WEEKDAYS},
        {"name": "X", "weekly_hours": {"0": [["09:00", "17:00"], ["16:00", "18:00"]]}},
        {"name": "X", "weekly_hours": {"0": [["nine", "five"]]}},
        {"name": "X", "weekly_hours": {}},
        {"name": "X", "weekly_hours": {"9": [["09:00", "17:00"]]}},
    ],
)
def test_impossible_calendars_are_refused(sam, api_as, body):
    response = api_as(sam).post("/calendars", body)

    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("bad_calendar", "validation_error")


@pytest.mark.parametrize("who", ["alice", "ana", "mara"])
def test_only_supervisors_and_up_configure(who, request, api_as):
    api = api_as(request.getfixturevalue(who))

    response = api.post("/calendars", {"name": "X", "weekly_hours": WEEKDAYS})

    assert response.status_code == 403


def test_outsider_cannot_touch_another_organisations_rules(sam, charlie, api_as):
    team = api_as(sam).post("/teams", {"name": "Care"}).json()
    rule = api_as(sam).post("/routing-rules", {"name": "r", "team": team["id"]}).json()

    response = api_as(charlie).delete(f"/routing-rules/{rule['id']}")

    assert response.status_code == 404
    assert api_as(charlie).get("/routing-rules").json() == []
