import datetime as dt

import pytest
from django.utils import timezone

from rapport.surveys.models import SurveyResponse
from rapport.surveys.selectors import responses_for_conversation

NEW_SURVEY = {
    "name": "Web chat CSAT",
    "trigger": "on_resolve",
    "channel_kinds": ["email", "webform"],
    "cooldown_days": 14,
    "questions": [
        {"kind": "csat", "text": {"en": "How did we do?", "fr": "Comment était-ce ?"}},
        {
            "kind": "choice",
            "text": {"en": "What was it about?"},
            "options": {"choices": ["Order", "Refund"]},
        },
        {"kind": "scale", "text": {"en": "Speed?"}, "options": {"min": 1, "max": 10}},
    ],
}


def _responses(survey, values, **links):
    now = timezone.now()
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            organisation_id=survey.organisation_id,
            survey=survey,
            submitted_at=now - dt.timedelta(minutes=n),
            csat=csat,
            nps=nps,
            ces=ces,
            answers={},
            **links,
        )
        for n, (csat, nps, ces) in enumerate(values)
    )


def test_supervisor_creates_a_survey_with_its_questions(api_as, sam):
    response = api_as(sam).post("/surveys", NEW_SURVEY)
    assert response.status_code == 201, response.json_body
    body = response.json_body
    assert [q["kind"] for q in body["questions"]] == ["csat", "choice", "scale"]
    assert body["questions"][1]["options"]["choices"][1] == {
        "value": "2",
        "label": {"en": "Refund"},
    }
    assert body["active"] is False and body["channel_kinds"] == ["email", "webform"]


def test_questions_keep_their_ids_when_changed(api_as, sam):
    client = api_as(sam)
    created = client.post("/surveys", NEW_SURVEY).json_body
    first = created["questions"][0]
    changed = client.patch(
        f"/surveys/{created['id']}",
        {"active": True, "questions": [{**first, "text": {"en": "How was it?"}}]},
    )
    assert changed.status_code == 200, changed.json_body
    assert changed.json_body["questions"] == [{**first, "text": {"en": "How was it?"}}]
    assert changed.json_body["active"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**NEW_SURVEY, "trigger": "whenever"}, 422),
        ({**NEW_SURVEY, "cooldown_days": -1}, 422),
        ({**NEW_SURVEY, "questions": [{"kind": "stars", "text": {"en": "?"}}]}, 422),
        (
            {**NEW_SURVEY, "questions": [{"kind": "csat", "text": {"fr": "Seulement français"}}]},
            400,
        ),
        (
            {
                **NEW_SURVEY,
                "questions": [
                    {"kind": "choice", "text": {"en": "?"}, "options": {"choices": ["one"]}}
                ],
            },
            400,
        ),
        (
            {
                **NEW_SURVEY,
                "questions": [
                    {"kind": "scale", "text": {"en": "?"}, "options": {"min": 5, "max": 1}}
                ],
            },
            400,
        ),
        ({**NEW_SURVEY, "questions": [], "active": True}, 400),
        ({**NEW_SURVEY, "default_language": "english!"}, 400),
        ({**NEW_SURVEY, "conversation_kinds": ["spam"]}, 422),
    ],
)
def test_invalid_surveys_are_refused_and_nothing_is_written(api_as, sam, body, status):
    response = api_as(sam).post("/surveys", body)
    assert response.status_code == status, response.json_body
    assert response.json_body["code"] and response.json_body["message"]
    assert api_as(sam).get("/surveys").json() == []


def test_agents_and_analysts_read_but_cannot_change_surveys(api_as, alice, ana, survey):
    for user in (alice, ana):
        client = api_as(user)
        assert client.get(f"/surveys/{survey.public_id}").status_code == 200
        assert client.post("/surveys", NEW_SURVEY).status_code == 403
        assert client.patch(f"/surveys/{survey.public_id}", {"name": "Mine"}).status_code == 403


def test_outsider_cannot_read_or_change_surveys_or_responses(api_as, charlie, survey):
    _responses(survey, [(5, 10, None)])
    response_id = SurveyResponse.objects.get().public_id
    client = api_as(charlie)
    assert client.get("/surveys").json() == []
    assert client.get(f"/surveys/{survey.public_id}").status_code == 404
    assert client.patch(f"/surveys/{survey.public_id}", {"name": "x"}).status_code == 404
    assert client.delete(f"/surveys/{survey.public_id}").status_code == 404
    assert client.get("/surveys/responses").json()["items"] == []
    assert client.get(f"/surveys/responses/{response_id}").status_code == 404
    assert client.get("/surveys/summary").json()["responses"] == 0
    assert client.get(f"/surveys/summary?survey={survey.public_id}").status_code == 404


def test_outsider_cannot_read_a_conversation_s_responses(charlie, conversation):
    from rapport.lib.errors import NotAllowed

    with pytest.raises(NotAllowed):
        responses_for_conversation(charlie, conversation)


def test_summary_is_computed_from_known_answers(api_as, ana, survey):
    _responses(survey, [(5, 10, 2), (4, 9, 3), (2, 6, 6), (None, 8, None)])
    body = api_as(ana).get(f"/surveys/summary?survey={survey.public_id}").json()
    assert body["responses"] == 4
    assert body["csat_count"] == 3 and body["csat_satisfied_pct"] == 66.7
    assert body["csat_average"] == 3.67
    # 2 promoters, 1 passive, 1 detractor of 4: (2 - 1) / 4 = 25.
    assert (body["nps_promoters"], body["nps_passives"], body["nps_detractors"]) == (2, 1, 1)
    assert body["nps"] == 25.0
    assert body["ces_count"] == 3 and body["ces_average"] == 3.67
    assert (body["invitations_sent"], body["invitations_answered"]) == (0, 0)
    detractors = api_as(ana).get("/surveys/summary?band=detractor").json()
    assert detractors["responses"] == 1


def test_responses_page_with_a_cursor_in_fixed_queries(
    api_as, ana, survey, conversation, alice, django_assert_max_num_queries
):
    links = {
        "conversation": conversation,
        "agent": alice,
        "customer": conversation.customer,
        "channel": conversation.channel,
    }
    _responses(survey, [(n % 5 + 1, n % 11, None) for n in range(45)], **links)
    client = api_as(ana)
    with django_assert_max_num_queries(4):
        first = client.get("/surveys/responses?limit=20").json()
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        with django_assert_max_num_queries(4):
            page = client.get(f"/surveys/responses?limit=20&cursor={cursor}").json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 45
    assert first["items"][0]["agent"]["id"] == str(alice.public_id)
    assert first["items"][0]["survey"]["name"] == survey.name


def test_bad_cursor_and_filters_are_4xx(api_as, ana):
    client = api_as(ana)
    assert client.get("/surveys/responses?cursor=!!!").status_code == 400
    assert client.get("/surveys/responses?band=angry").status_code == 422
    assert client.get("/surveys/responses?limit=1000").status_code == 422
    assert client.get("/surveys/not-a-uuid").status_code in (404, 422)


def test_survey_with_responses_cannot_be_deleted(api_as, sam, survey):
    _responses(survey, [(5, None, None)])
    response = api_as(sam).delete(f"/surveys/{survey.public_id}")
    assert response.status_code == 400 and response.json_body["code"] == "has_responses"
    empty = api_as(sam).post("/surveys", NEW_SURVEY).json_body
    assert api_as(sam).delete(f"/surveys/{empty['id']}").status_code == 204
