"""Pages: the staff's survey list, editor and responses; the customer's public survey page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from rapport.accounts.models import Team, User
from rapport.accounts.roles import Cap
from rapport.channels.models import Channel
from rapport.lib.errors import NotAllowed, NotFound
from rapport.lib.ids import parse_public_id
from rapport.lib.pages import domain_errors_to_form
from rapport.surveys import selectors, services, wording
from rapport.surveys.demo import STANDARD_QUESTIONS
from rapport.surveys.forms import (
    QuestionForm,
    SurveyCreateForm,
    SurveySettingsForm,
    format_translations,
)
from rapport.surveys.models import Question, QuestionKind, Survey, SurveyInvitation, Trigger

# Public pages: a survey answer is a few hundred bytes; anything far bigger is not one.
MAX_BODY_BYTES = 32 * 1024
PUBLIC_LINK_LIMIT = 10
PUBLIC_LINK_WINDOW_SECONDS = 3600
ANSWERED_COOKIE = "rapport_survey_answered"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- Staff pages -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def survey_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    can_manage = actor.can(Cap.SURVEYS_MANAGE)
    form = SurveyCreateForm()
    if request.method == "POST":
        if not can_manage:
            raise NotAllowed("Your role does not allow changing surveys.")
        form = SurveyCreateForm(request.POST)
        if form.is_valid():
            with domain_errors_to_form(form):
                data = form.cleaned_data
                survey = services.create_survey(
                    actor,
                    name=data["name"],
                    trigger=data["trigger"],
                    questions=STANDARD_QUESTIONS if data["with_standard_questions"] else (),
                )
                messages.success(request, f"Survey “{survey.name}” created. It is not active yet.")
                return redirect("surveys:detail", survey_id=survey.public_id)
    surveys = list(selectors.surveys_visible_to(actor))
    summary = selectors.summarise(selectors.responses_visible_to(actor))
    context = {"surveys": surveys, "form": form, "can_manage": can_manage, "summary": summary}
    return render(request, "surveys/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_detail(request: HttpRequest, survey_id: str) -> HttpResponse:
    actor = _user(request)
    survey = selectors.get_survey_for_user(actor, survey_id)
    can_manage = actor.can(Cap.SURVEYS_MANAGE)
    form = SurveySettingsForm.for_survey(survey)
    if request.method == "POST":
        form = SurveySettingsForm.for_survey(survey, request.POST)
        if form.is_valid():
            with domain_errors_to_form(form):
                services.update_survey(actor, survey, **form.service_kwargs())
                messages.success(request, "Survey saved.")
                return redirect("surveys:detail", survey_id=survey.public_id)
    questions = list(survey.questions.all())
    sent, answered = selectors.response_rate(actor, survey)
    context = {
        "survey": survey,
        "form": form,
        "questions": [(q, format_translations(q.text, survey.default_language)) for q in questions],
        "question_form": QuestionForm(),
        "can_manage": can_manage,
        "summary": selectors.summarise(
            selectors.responses_visible_to(actor, selectors.ResponseFilter(survey=survey.public_id))
        ),
        "sent": sent,
        "answered": answered,
        "languages": services.survey_languages(survey),
        "public_url": request.build_absolute_uri(
            redirect("surveys:public", survey_id=survey.public_id).url
        )
        if survey.trigger == Trigger.PUBLIC_LINK
        else "",
        "runs": list(survey.runs.all()[:5]) if survey.trigger == Trigger.SCHEDULED else [],
    }
    return render(request, "surveys/detail.html", context)


def _specs(survey: Survey) -> list[dict[str, Any]]:
    return [
        {
            "id": str(q.public_id),
            "kind": q.kind,
            "text": q.text,
            "required": q.required,
            "options": q.options,
        }
        for q in survey.questions.all()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, survey_id: str, question_id: str = "") -> HttpResponse:
    """Add a question (no id) or change one; the survey's questions are saved together."""
    actor = _user(request)
    survey = selectors.get_survey_for_user(actor, survey_id)
    if not actor.can(Cap.SURVEYS_MANAGE):
        raise NotAllowed("Your role does not allow changing surveys.")
    question = None
    if question_id:
        question = _question(survey, question_id)
    initial: dict[str, Any] = {}
    if question is not None:
        initial = {
            "kind": question.kind,
            "text": format_translations(question.text, survey.default_language),
            "required": question.required,
            "choices": "\n".join(
                c["label"].get(survey.default_language, "")
                for c in question.options.get("choices", [])
            ),
            "scale_min": question.options.get("min", 1),
            "scale_max": question.options.get("max", 5),
        }
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        specs = _specs(survey)
        if question is None:
            specs.append(form.spec(survey.default_language))
        else:
            index = next(i for i, s in enumerate(specs) if s["id"] == str(question.public_id))
            spec = form.spec(survey.default_language, str(question.public_id))
            if spec["kind"] == QuestionKind.CHOICE == question.kind:
                # Keep the other languages' labels of choices whose order did not change.
                old = question.options.get("choices", [])
                spec["options"]["choices"] = [
                    {**(old[i]["label"] if i < len(old) else {}), survey.default_language: text}
                    for i, text in enumerate(spec["options"]["choices"])
                ]
            specs[index] = spec
        with domain_errors_to_form(form):
            services.update_survey(actor, survey, questions=specs)
            messages.success(request, "Question saved.")
            return redirect("surveys:detail", survey_id=survey.public_id)
    context = {"survey": survey, "form": form, "question": question}
    return render(request, "surveys/question.html", context)


def _question(survey: Survey, question_id: str) -> Question:
    question = survey.questions.filter(public_id=parse_public_id(question_id, "question")).first()
    if question is None:
        raise NotFound("No such question.")
    return question


@login_required
@require_POST
def question_action(request: HttpRequest, survey_id: str, question_id: str) -> HttpResponse:
    """Move a question up or down, or remove it."""
    actor = _user(request)
    survey = selectors.get_survey_for_user(actor, survey_id)
    question = _question(survey, question_id)
    specs = _specs(survey)
    index = next(i for i, s in enumerate(specs) if s["id"] == str(question.public_id))
    action = request.POST.get("action", "")
    if action == "remove":
        specs.pop(index)
    elif action == "up" and index > 0:
        specs[index - 1], specs[index] = specs[index], specs[index - 1]
    elif action == "down" and index < len(specs) - 1:
        specs[index + 1], specs[index] = specs[index], specs[index + 1]
    try:
        services.update_survey(actor, survey, questions=specs)
    except NotAllowed:
        raise
    except services.DomainError as exc:
        messages.error(request, exc.message)
    return redirect("surveys:detail", survey_id=survey.public_id)


@login_required
@require_POST
def survey_delete(request: HttpRequest, survey_id: str) -> HttpResponse:
    actor = _user(request)
    survey = selectors.get_survey_for_user(actor, survey_id)
    try:
        services.delete_survey(actor, survey)
    except NotAllowed:
        raise
    except services.DomainError as exc:
        messages.error(request, exc.message)
        return redirect("surveys:detail", survey_id=survey.public_id)
    messages.success(request, f"Survey “{survey.name}” deleted.")
    return redirect("surveys:list")


def _uuid_or_none(value: str) -> Any:
    try:
        return parse_public_id(value, "filter") if value else None
    except NotFound:
        return None


def _date(value: str) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


@login_required
def response_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    get = request.GET
    until = _date(get.get("until", ""))
    filters = selectors.ResponseFilter(
        survey=_uuid_or_none(get.get("survey", "")),
        agent=_uuid_or_none(get.get("agent", "")),
        team=_uuid_or_none(get.get("team", "")),
        channel=_uuid_or_none(get.get("channel", "")),
        sentiment=get.get("sentiment", "") if get.get("sentiment") in wording_sentiments else "",
        since=_date(get.get("since", "")),
        until=until + dt.timedelta(days=1) if until else None,
        band=get.get("band", "") if get.get("band") in selectors.BANDS else "",
        with_comment=get.get("with_comment") == "1",
        theme=get.get("theme", "")[:60],
    )
    responses = selectors.responses_visible_to(actor, filters)
    query = get.copy()
    query.pop("page", None)
    page = Paginator(selectors.with_links(responses), 50).get_page(get.get("page"))
    org = actor.organisation_id
    context = {
        "page": page,
        "summary": selectors.summarise(responses),
        "filters": filters,
        "surveys": selectors.surveys_visible_to(actor).only("public_id", "name"),
        "agents": User.objects.filter(organisation_id=org).order_by("full_name", "email"),
        "teams": Team.objects.filter(organisation_id=org).order_by("name"),
        "channels": Channel.objects.filter(organisation_id=org).order_by("name"),
        "bands": list(selectors.BANDS),
        "sentiments": wording_sentiments,
        "query": query,
    }
    return render(request, "surveys/responses.html", context)


wording_sentiments = ("negative", "neutral", "positive")


# --- The customer's pages (no login) -------------------------------------------------------


def _too_big(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
    except ValueError:
        return True


def _page(
    request: HttpRequest,
    survey: Survey,
    *,
    language: str,
    state: str,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    chrome = wording.chrome(language)
    questions = []
    for question in survey.questions.all():
        key = str(question.public_id)
        scale = question.scale()
        points = list(range(scale[0], scale[1] + 1)) if scale else []
        ends = _ends(question, language, survey.default_language, chrome)
        choices = [
            (c["value"], c["label"].get(language) or c["label"].get(survey.default_language, ""))
            for c in question.options.get("choices", [])
        ]
        error = (errors or {}).get(key, "")
        questions.append(
            {
                "key": key,
                "kind": question.kind,
                "text": question.wording(language, survey.default_language),
                "required": question.required,
                "points": points,
                "ends": ends,
                "choices": choices,
                "value": (values or {}).get(key, ""),
                "error": chrome["required"] if error else "",
            }
        )
    context = {
        "survey": survey,
        "organisation": survey.organisation,
        "language": language,
        "languages": services.survey_languages(survey),
        "chrome": chrome,
        "intro": survey.wording("intro", language),
        "thank_you": survey.wording("thank_you", language) or chrome["thank_you"],
        "questions": questions,
        "state": state,
        "max_text": services.MAX_ANSWER_TEXT,
    }
    return render(request, "surveys/public.html", context, status=status)


def _ends(question: Question, language: str, default: str, chrome: dict[str, str]) -> list[str]:
    if question.kind == QuestionKind.NPS:
        return [chrome["not_likely"], chrome["very_likely"]]
    if question.kind == QuestionKind.CSAT:
        return [chrome["very_unsatisfied"], chrome["very_satisfied"]]
    if question.kind == QuestionKind.CES:
        return [chrome["very_easy"], chrome["very_difficult"]]
    if question.kind == QuestionKind.SCALE:
        return [
            (question.options.get(end) or {}).get(language)
            or (question.options.get(end) or {}).get(default, "")
            for end in ("low", "high")
        ]
    return []


def _language(request: HttpRequest, survey: Survey, wanted: list[str]) -> str:
    return wording.choose(
        services.survey_languages(survey),
        wanted=[request.GET.get("lang", "")[:12], *wanted],
        accept_language=request.headers.get("Accept-Language", ""),
        default=survey.default_language,
    )


# The public pages are exempt from CSRF: the invitation's token is itself the secret a
# forged cross-site post would need, a public link may be answered by anyone anyway, and
# in-app browsers of social apps often drop the CSRF cookie between page and post.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation's link opens: one response per token."""
    invitation = services.find_invitation(token)
    if invitation is None:
        raise NotFound("This survey link is not valid.")
    survey = invitation.survey
    language = _language(request, survey, [invitation.language])
    if invitation.responded_at is not None:
        return _page(request, survey, language=language, state="already")
    if invitation.is_expired(timezone.now()):
        return _page(request, survey, language=language, state="expired", status=410)
    if request.method == "GET":
        return _page(request, survey, language=language, state="open")
    return _submit(request, survey, language=language, invitation=invitation)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def public(request: HttpRequest, survey_id: str) -> HttpResponse:
    """A public-link survey: anyone may answer, within the abuse limits."""
    survey = (
        Survey.objects.select_related("organisation")
        .filter(
            public_id=parse_public_id(survey_id, "survey"),
            trigger=Trigger.PUBLIC_LINK,
            active=True,
        )
        .first()
    )
    if survey is None:
        raise NotFound("This survey is not open.")
    language = _language(request, survey, [])
    if request.method == "GET":
        answered = str(survey.public_id) in (
            request.get_signed_cookie(ANSWERED_COOKIE, default="", salt="surveys") or ""
        ).split(",")
        return _page(request, survey, language=language, state="already" if answered else "open")
    if _rate_limited(request, survey):
        return _page(request, survey, language=language, state="rate_limited", status=429)
    return _submit(request, survey, language=language, invitation=None)


def _rate_limited(request: HttpRequest, survey: Survey) -> bool:
    key = f"survey-rate:{survey.pk}:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, PUBLIC_LINK_WINDOW_SECONDS)
    try:
        used = cache.incr(key)
    except ValueError:
        # The counter expired between add and incr; this submission starts a new window.
        cache.set(key, 1, PUBLIC_LINK_WINDOW_SECONDS)
        used = 1
    return used > PUBLIC_LINK_LIMIT


def _submit(
    request: HttpRequest, survey: Survey, *, language: str, invitation: SurveyInvitation | None
) -> HttpResponse:
    if _too_big(request):
        return _page(request, survey, language=language, state="too_big", status=413)
    if request.POST.get("website"):
        # A filled honeypot is a bot: thank it, keep nothing.
        return _page(request, survey, language=language, state="thanks")
    questions = list(survey.questions.all())
    answers, errors = services.clean_answers(questions, request.POST)
    if errors:
        values = {
            str(q.public_id): request.POST.get(str(q.public_id), "")[:2000] for q in questions
        }
        return _page(
            request,
            survey,
            language=language,
            state="open",
            errors=errors,
            values=values,
            status=400,
        )
    response = services.record_survey_response(
        survey=survey, answers=answers, invitation=invitation, language=language
    )
    page = _page(request, survey, language=language, state="thanks" if response else "already")
    if invitation is None:
        answered = request.get_signed_cookie(ANSWERED_COOKIE, default="", salt="surveys") or ""
        ids = [i for i in answered.split(",") if i][-20:] + [str(survey.public_id)]
        page.set_signed_cookie(
            ANSWERED_COOKIE,
            ",".join(ids),
            salt="surveys",
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
        )
    return page
