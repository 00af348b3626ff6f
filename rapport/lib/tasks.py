"""`task` from Django's tasks framework: django.tasks on Django 6, else the backport.

Apps import `task` from here, so moving to Django 6 changes no app code.
"""

from __future__ import annotations

from importlib.util import find_spec

if find_spec("django.tasks") is not None:  # pragma: no cover - Django 6+
    from django.tasks import task, task_backends
else:
    from django_tasks import task, task_backends

__all__ = ["task", "task_backends"]
