"""Survey jobs: invite after a resolution, and run scheduled surveys when they are due.

The periodic job only finds due surveys and enqueues one task per survey;
each task claims its run, so any number of workers may run them.
"""

from __future__ import annotations

import datetime as dt

from rapport.jobs.scheduler import every
from rapport.lib.tasks import task
from rapport.surveys import services


@task()
def invite_after_resolve(conversation_id: int) -> str:
    """Invite the customer of a just-resolved conversation if the rules allow; say what happened."""
    outcome = services.invite_for_conversation(conversation_id)
    return outcome if isinstance(outcome, str) else "invited"


@task()
def run_scheduled_survey(survey_id: int) -> int:
    """Run one scheduled survey over its segment if still due; return how many were invited."""
    result = services.run_scheduled_survey(survey_id)
    return result.invited if result else 0


@task()
def run_due_scheduled_surveys() -> int:
    """Enqueue a run of every scheduled survey that is due; return how many."""
    due = services.due_scheduled_survey_ids()
    for survey_id in due:
        run_scheduled_survey.enqueue(survey_id)
    return len(due)


every(dt.timedelta(minutes=15), run_due_scheduled_surveys)
