"""Rapport's SQLite backend reads what Django's would, only faster."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Max, Min

from rapport.jobs.models import ScheduledJob
from rapport.lib.sqlite.base import _utc_text_to_datetime

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend only"),
]


def test_stored_datetimes_come_back_aware_in_utc_to_the_microsecond():
    moment = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    job = ScheduledJob.objects.create(name="a", next_run_at=moment)
    again = ScheduledJob.objects.get(pk=job.pk)
    assert again.next_run_at == moment
    assert again.next_run_at.utcoffset() == dt.timedelta(0)
    assert again.next_run_at.tzinfo is not None
    # Whole seconds are stored without a fraction; they read back the same.
    ScheduledJob.objects.filter(pk=job.pk).update(next_run_at=moment.replace(microsecond=0))
    assert ScheduledJob.objects.get(pk=job.pk).next_run_at == moment.replace(microsecond=0)


def test_values_aggregates_and_nulls_read_as_django_reads_them():
    early = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    late = dt.datetime(2026, 11, 23, 17, 45, tzinfo=dt.UTC)
    ScheduledJob.objects.create(name="early", next_run_at=early)
    ScheduledJob.objects.create(name="late", next_run_at=late, last_run_at=None)
    assert ScheduledJob.objects.aggregate(a=Min("next_run_at"), b=Max("next_run_at")) == {
        "a": early,
        "b": late,
    }
    rows = dict(ScheduledJob.objects.values_list("name", "last_run_at"))
    assert rows == {"early": None, "late": None}


def test_text_the_fast_path_cannot_read_goes_to_djangos_converter():
    # Imported here: the module can only be imported once Django's SQLite backend is
    # (a circular import otherwise), which a PostgreSQL run never loads.
    from django.db.backends.sqlite3.operations import DatabaseOperations

    django_ops = DatabaseOperations(connection)
    for text in ["2026-11-23 17:45:00", "2026-11-23T17:45:00.5", "2026-11-23 17:45:00+01:00"]:
        ours = _utc_text_to_datetime(text, None, connection)
        assert ours == django_ops.convert_datetimefield_value(text, None, connection)
        assert ours.utcoffset() is not None
    assert _utc_text_to_datetime(None, None, connection) is None
    already = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    assert _utc_text_to_datetime(already, None, connection) == already
