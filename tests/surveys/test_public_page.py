import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from rapport.surveys import services
from rapport.surveys.models import Survey, SurveyInvitation, SurveyResponse
from tests.surveys.conftest import invite, token_of


@pytest.fixture
def invited(survey, conversation):
    """Return (token, invitation) for the resolved conversation."""
    conversation.status = "resolved"
    conversation.save()
    invitation = invite(conversation.pk)
    return token_of(invitation), invitation


def _answers(survey, csat=5, nps=9, comment=""):
    by_kind = {q.kind: str(q.public_id) for q in survey.questions.all()}
    data = {by_kind["csat"]: str(csat), by_kind["nps"]: str(nps)}
    if comment:
        data[by_kind["text"]] = comment
    return data


def test_public_page_works_without_login_on_a_phone(invited, survey):
    token, _ = invited
    page = Client().get(f"/surveys/r/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "How satisfied are you with how we handled your request?" in html
    assert 'name="viewport"' in html and html.count('type="radio"') == 5 + 11


def test_one_response_per_token(invited, survey, conversation, alice):
    token, invitation = invited
    client = Client()

    first = client.post(f"/surveys/r/{token}/", _answers(survey, comment="Quick and helpful"))
    second = client.post(f"/surveys/r/{token}/", _answers(survey, csat=1, nps=0))

    assert first.status_code == 200 and "Thank you" in first.content.decode()
    assert second.status_code == 200 and "already answered" in second.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.csat, response.nps) == (5, 9)
    assert response.invitation == invitation and response.conversation == conversation
    assert response.agent == alice and response.customer == conversation.customer
    assert response.channel_id == conversation.channel_id
    assert client.get(f"/surveys/r/{token}/").content.decode().count("already answered") == 1


def test_forged_token_is_a_404(invited):
    token, _ = invited
    assert Client().get(f"/surveys/r/{token[:-2]}xx/").status_code == 404
    assert Client().post("/surveys/r/not-a-real-token/", {}).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_expired_token_is_refused(invited, survey):
    token, invitation = invited
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = Client().post(f"/surveys/r/{token}/", _answers(survey))
    assert response.status_code == 410 and "closed" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_missing_required_answer_writes_nothing(invited, survey):
    token, invitation = invited
    by_kind = {q.kind: str(q.public_id) for q in survey.questions.all()}
    response = Client().post(f"/surveys/r/{token}/", {by_kind["nps"]: "8"})
    assert (
        response.status_code == 400 and "Please answer this question." in response.content.decode()
    )
    out_of_range = Client().post(f"/surveys/r/{token}/", _answers(survey, csat=9))
    assert out_of_range.status_code == 400
    invitation.refresh_from_db()
    assert invitation.responded_at is None and not SurveyResponse.objects.exists()


def test_honeypot_keeps_nothing(invited, survey):
    token, invitation = invited
    response = Client().post(f"/surveys/r/{token}/", {**_answers(survey), "website": "spam.biz"})
    assert response.status_code == 200
    assert not SurveyResponse.objects.exists()


def test_oversized_body_is_refused(invited, survey):
    token, _ = invited
    response = Client().post(f"/surveys/r/{token}/", _answers(survey, comment="x" * 40_000))
    assert response.status_code == 413 and not SurveyResponse.objects.exists()


def test_language_follows_accept_language_when_the_customer_s_is_unknown(invited):
    token, invitation = invited
    SurveyInvitation.objects.filter(pk=invitation.pk).update(language="")
    page = Client().get(f"/surveys/r/{token}/", headers={"accept-language": "fr-FR,fr;q=0.9"})
    html = page.content.decode()
    assert '<html lang="fr">' in html and "Envoyer mes réponses" in html
    assert "Êtes-vous satisfait" in html


def test_the_customer_s_language_wins_over_the_browser_s(invited):
    token, invitation = invited
    SurveyInvitation.objects.filter(pk=invitation.pk).update(language="de")
    page = Client().get(f"/surveys/r/{token}/", headers={"accept-language": "fr"})
    assert "Antworten senden" in page.content.decode()


def test_free_text_is_triaged_for_sentiment_and_themes(invited, survey):
    token, _ = invited
    comment = "Terrible. The courier lost my parcel and nobody answered my emails for a week."
    Client().post(f"/surveys/r/{token}/", _answers(survey, csat=1, nps=2, comment=comment))
    response = SurveyResponse.objects.get()
    assert response.comment == comment
    assert response.sentiment == "negative"
    assert response.sentiment_score is not None and response.sentiment_score < 0
    assert "delivery" in response.themes


def test_comment_is_escaped_on_the_staff_page(invited, survey, web_as, sam):
    token, _ = invited
    Client().post(f"/surveys/r/{token}/", _answers(survey, comment="<script>alert(1)</script>"))
    html = web_as(sam).get("/surveys/responses/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@pytest.fixture
def public_survey(sam):
    return services.create_survey(
        sam,
        name="Tell us",
        trigger="public_link",
        active=True,
        questions=[{"kind": "ces", "text": {"en": "How easy was it?"}}],
    )


def test_public_link_takes_answers_without_an_invitation(public_survey):
    question = str(public_survey.questions.get().public_id)
    client = Client()
    assert client.get(f"/surveys/s/{public_survey.public_id}/").status_code == 200
    client.post(f"/surveys/s/{public_survey.public_id}/", {question: "2"})
    response = SurveyResponse.objects.get()
    assert response.ces == 2 and response.invitation is None
    # The same browser is told it has answered.
    assert (
        "already answered" in client.get(f"/surveys/s/{public_survey.public_id}/").content.decode()
    )


def test_public_link_is_rate_limited_per_address(public_survey):
    cache.clear()
    question = str(public_survey.questions.get().public_id)
    url = f"/surveys/s/{public_survey.public_id}/"
    codes = [Client().post(url, {question: "3"}).status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
    assert SurveyResponse.objects.count() == 10


def test_inactive_or_invitation_only_survey_has_no_public_page(public_survey, survey):
    Survey.objects.filter(pk=public_survey.pk).update(active=False)
    assert Client().get(f"/surveys/s/{public_survey.public_id}/").status_code == 404
    assert Client().get(f"/surveys/s/{survey.public_id}/").status_code == 404
