"""/api/v1/surveys/ endpoints: surveys with their questions, responses and score summaries."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status

from rapport.accounts.models import User
from rapport.surveys import selectors, services
from rapport.surveys.models import Survey, Trigger
from rapport.surveys.schemas import (
    ResponseOut,
    ResponsePage,
    ResponseQuery,
    SummaryOut,
    SurveyIn,
    SurveyOut,
    SurveyPatchIn,
)

router = Router(tags=["surveys"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _out(request: HttpRequest, survey: Survey) -> Survey:
    if survey.trigger == Trigger.PUBLIC_LINK:
        survey.public_url = request.build_absolute_uri(  # type: ignore[attr-defined]
            reverse("surveys:public", args=[survey.public_id])
        )
    return survey


def _questions(questions: list[Any] | None) -> list[dict[str, Any]] | None:
    if questions is None:
        return None
    return [{**q.dict(), "id": str(q.id) if q.id else ""} for q in questions]


@router.get("", response=list[SurveyOut], summary="The organisation's surveys")
def list_surveys(request: HttpRequest) -> Any:
    return [_out(request, s) for s in selectors.surveys_visible_to(_actor(request))]


@router.post("", response={201: SurveyOut}, summary="Create a survey with its questions")
def create_survey(request: HttpRequest, payload: SurveyIn) -> Any:
    data = payload.dict()
    data["questions"] = _questions(payload.questions)
    survey = services.create_survey(_actor(request), **data)
    return Status(
        201, _out(request, selectors.get_survey_for_user(_actor(request), survey.public_id))
    )


@router.get("/responses", response=ResponsePage, summary="Responses, newest first (cursor pages)")
def list_responses(request: HttpRequest, query: Query[ResponseQuery]) -> Any:
    data = query.dict()
    cursor, limit = data.pop("cursor"), data.pop("limit")
    items, next_cursor = selectors.response_page(
        _actor(request), selectors.ResponseFilter(**data), cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/responses/{response_id}", response=ResponseOut)
def get_response(request: HttpRequest, response_id: uuid.UUID) -> Any:
    return selectors.get_response_for_user(_actor(request), response_id)


@router.get("/summary", response=SummaryOut, summary="Scores of the responses matching filters")
def summary(request: HttpRequest, query: Query[ResponseQuery]) -> Any:
    data = query.dict()
    data.pop("cursor"), data.pop("limit")
    responses = selectors.responses_visible_to(_actor(request), selectors.ResponseFilter(**data))
    result = selectors.summarise(responses).as_dict()
    if query.survey:
        survey = selectors.get_survey_for_user(_actor(request), query.survey)
        result["invitations_sent"], result["invitations_answered"] = selectors.response_rate(
            _actor(request), survey
        )
    return result


@router.get("/{survey_id}", response=SurveyOut)
def get_survey(request: HttpRequest, survey_id: uuid.UUID) -> Any:
    return _out(request, selectors.get_survey_for_user(_actor(request), survey_id))


@router.patch("/{survey_id}", response=SurveyOut, summary="Change a survey or its questions")
def update_survey(request: HttpRequest, survey_id: uuid.UUID, payload: SurveyPatchIn) -> Any:
    survey = selectors.get_survey_for_user(_actor(request), survey_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if "questions" in changes:
        changes["questions"] = _questions(payload.questions)
    services.update_survey(_actor(request), survey, **changes)
    return _out(request, selectors.get_survey_for_user(_actor(request), survey_id))


@router.delete("/{survey_id}", response={204: None}, summary="Delete a survey nobody answered")
def delete_survey(request: HttpRequest, survey_id: uuid.UUID) -> Any:
    survey = selectors.get_survey_for_user(_actor(request), survey_id)
    services.delete_survey(_actor(request), survey)
    return Status(204, None)
