from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "rapport.surveys"
    label = "surveys"
    verbose_name = "Surveys: CSAT, NPS and CES"

    def ready(self) -> None:
        from rapport.inbox import services as inbox_services
        from rapport.surveys import tasks  # noqa: F401  (registers the scheduled-survey job)

        if on_resolved not in inbox_services.resolved_hooks:
            inbox_services.resolved_hooks.append(on_resolved)


def on_resolved(conversation: Any) -> None:
    """Queue the survey invitation of a resolved conversation (the inbox calls this after commit).

    Only the check that some survey could apply runs in the agent's request; the
    rules and the sending run in the worker.
    """
    from rapport.surveys.models import Survey, Trigger
    from rapport.surveys.tasks import invite_after_resolve

    if Survey.objects.filter(
        organisation_id=conversation.organisation_id, trigger=Trigger.ON_RESOLVE, active=True
    ).exists():
        invite_after_resolve.enqueue(conversation.pk)
