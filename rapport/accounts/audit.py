"""Write audit entries. Every service that changes data calls `record`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from rapport.accounts.models import AuditEntry, Organisation, User
from rapport.lib import request_context


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Return the JSON-safe values of some fields, to diff against later."""
    return {name: _json_safe(getattr(instance, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for the fields whose value changed."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def record(
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    organisation: Organisation | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_label: str | None = None,
) -> AuditEntry:
    """Write one audit entry for `action` by `actor` on `obj`, stamped with the request."""
    context = request_context.current()
    if organisation is None:
        organisation = _organisation_of(obj) or (actor.organisation if actor else None)
    return AuditEntry.objects.create(
        organisation=organisation,
        actor=actor,
        actor_label=actor.email if actor else "system",
        action=action,
        object_type=object_type or (obj._meta.model_name or "" if obj is not None else ""),
        object_id=object_id or _public_id(obj),
        object_label=(object_label if object_label is not None else str(obj or ""))[:200],
        changes={key: _json_safe(value) for key, value in (changes or {}).items()},
        request_id=context.request_id if context else "",
        ip=context.ip if context else None,
    )


def _organisation_of(obj: models.Model | None) -> Organisation | None:
    if isinstance(obj, Organisation):
        return obj
    org = getattr(obj, "organisation", None)
    return org if isinstance(org, Organisation) else None


def _public_id(obj: models.Model | None) -> str:
    if obj is None:
        return ""
    return str(getattr(obj, "public_id", None) or obj.pk)


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, models.Model):
        return str(getattr(value, "public_id", None) or value.pk)
    return str(value)
