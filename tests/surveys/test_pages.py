import datetime as dt

from django.utils import timezone

from rapport.surveys.demo import DEMO_SURVEY_NAME, seed_surveys
from rapport.surveys.models import Survey, SurveyResponse
from rapport.surveys.selectors import responses_for_conversation


def test_every_role_reads_the_survey_pages(web_as, alice, ana, survey):
    for user in (alice, ana):
        client = web_as(user)
        listing = client.get("/surveys/")
        assert listing.status_code == 200 and survey.name in listing.content.decode()
        assert "New survey" not in listing.content.decode()
        assert client.get(f"/surveys/{survey.public_id}/").status_code == 200
        assert client.get("/surveys/responses/").status_code == 200


def test_outsider_gets_404_on_survey_pages(web_as, charlie, survey):
    client = web_as(charlie)
    assert client.get(f"/surveys/{survey.public_id}/").status_code == 404
    assert client.post(f"/surveys/{survey.public_id}/delete/").status_code == 404
    assert survey.name not in client.get("/surveys/").content.decode()


def test_anonymous_visitor_is_sent_to_log_in(client, survey):
    assert client.get("/surveys/").status_code == 302
    assert client.get(f"/surveys/{survey.public_id}/").status_code == 302


def test_supervisor_creates_edits_and_activates_a_survey(web_as, sam):
    client = web_as(sam)
    created = client.post(
        "/surveys/",
        {"name": "Email CSAT", "trigger": "on_resolve", "with_standard_questions": "on"},
    )
    survey = Survey.objects.get(name="Email CSAT")
    assert created.status_code == 302 and survey.questions.count() == 3 and not survey.active

    client.post(
        f"/surveys/{survey.public_id}/questions/new/",
        {
            "kind": "choice",
            "text": "en: Which shop?\nfr: Quelle boutique ?",
            "required": "on",
            "choices": "Market Street\nRoastery",
        },
    )
    question = survey.questions.get(kind="choice")
    assert question.text == {"en": "Which shop?", "fr": "Quelle boutique ?"}
    assert [c["label"]["en"] for c in question.options["choices"]] == ["Market Street", "Roastery"]

    saved = client.post(
        f"/surveys/{survey.public_id}/",
        {
            "name": "Email CSAT",
            "active": "on",
            "trigger": "on_resolve",
            "channel_kinds": ["email"],
            "cooldown_days": "60",
            "expires_after_days": "7",
            "default_language": "en",
            "intro": "en: Thanks!\nfr: Merci !",
            "thank_you": "",
            "segment_days": "30",
            "segment_tags": "",
            "schedule_every_days": "30",
        },
    )
    assert saved.status_code == 302
    survey.refresh_from_db()
    assert survey.active and survey.cooldown_days == 60 and survey.channel_kinds == ["email"]
    assert survey.intro == {"en": "Thanks!", "fr": "Merci !"}

    client.post(
        f"/surveys/{survey.public_id}/questions/{question.public_id}/action/", {"action": "up"}
    )
    assert list(survey.questions.values_list("kind", flat=True)) == [
        "csat",
        "nps",
        "choice",
        "text",
    ]


def test_agent_cannot_change_a_survey_through_the_pages(web_as, alice, survey):
    client = web_as(alice)
    response = client.post(f"/surveys/{survey.public_id}/", {"name": "Mine", "active": "on"})
    assert response.status_code in (200, 403)
    survey.refresh_from_db()
    assert survey.name != "Mine"
    assert client.post("/surveys/", {"name": "Mine", "trigger": "on_resolve"}).status_code == 403
    assert client.post(f"/surveys/{survey.public_id}/delete/").status_code == 403


def test_responses_page_filters_in_bounded_queries(
    web_as, ana, survey, conversation, alice, django_assert_max_num_queries
):
    now = timezone.now()
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            organisation_id=survey.organisation_id,
            survey=survey,
            submitted_at=now - dt.timedelta(hours=n),
            csat=5 if n % 2 else 1,
            nps=n % 11,
            comment="late courier" if n % 2 == 0 else "",
            themes=["delivery"] if n % 2 == 0 else [],
            answers={},
            agent=alice,
            conversation=conversation,
            customer=conversation.customer,
            channel=conversation.channel,
        )
        for n in range(60)
    )
    client = web_as(ana)
    with django_assert_max_num_queries(12):
        page = client.get("/surveys/responses/")
    assert page.status_code == 200 and page.content.decode().count("late courier") == 25
    filtered = client.get("/surveys/responses/?band=unsatisfied&theme=delivery").content.decode()
    assert '<p class="figure">30</p>' in filtered


def test_conversation_responses_selector(ana, survey, conversation):
    SurveyResponse.objects.create(
        organisation_id=survey.organisation_id,
        survey=survey,
        conversation=conversation,
        submitted_at=timezone.now(),
        csat=4,
        answers={},
    )
    assert [r.csat for r in responses_for_conversation(ana, conversation)] == [4]


def test_demo_seed_is_realistic_and_runs_once(org, ada, alice):
    survey = seed_surveys(org, count=80)
    assert survey.name == DEMO_SURVEY_NAME and survey.active and survey.trigger == "on_resolve"
    responses = SurveyResponse.objects.filter(survey=survey)
    assert responses.count() == 80
    assert responses.exclude(comment="").filter(sentiment="").count() == 0
    assert responses.filter(themes__icontains="delivery").exists()
    seed_surveys(org, count=80)
    assert SurveyResponse.objects.count() == 80
