"""The detector's hand-written queries judge exactly as the plain ORM queries did."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

from django.db.models import Min, Q, Sum

from rapport.accounts.models import Organisation
from rapport.inbox.services import IngestedMessage
from rapport.insights import alerts
from rapport.insights.alerts import (
    BUCKET,
    FLOOR_PER_BUCKET,
    HISTORY,
    HISTORY_GAP,
    PRIOR_BUCKETS,
    SUSTAIN_MIN,
    TIME_OF_DAY_SLOTS,
    WARMUP,
    WARMUP_MESSAGES,
    WINDOW_BUCKETS,
    Verdict,
    pdtrc,
)
from rapport.insights.models import Alert, AlertBucket

START = dt.datetime(2025, 3, 20, tzinfo=dt.UTC)
SCOPES = ["negative", "term:refund", "term:charged", "term:order", "term:latte"]


def _reference_slot_range(slot: int) -> Q:
    low, high = slot - TIME_OF_DAY_SLOTS, slot + TIME_OF_DAY_SLOTS
    if low < 0:
        return Q(slot__gte=96 + low) | Q(slot__lte=high)
    if high > 95:
        return Q(slot__gte=low) | Q(slot__lte=high - 96)
    return Q(slot__gte=low, slot__lte=high)


def reference_judge(
    organisation: Organisation, scopes: list[str], bucket: dt.datetime, zone: Any
) -> list[Verdict]:
    """The detector's judgement as the ORM wrote it before (one aggregate per question)."""
    window_start = bucket - BUCKET * (WINDOW_BUCKETS - 1)
    history_end = bucket - HISTORY_GAP
    own = AlertBucket.objects.filter(organisation=organisation)
    recent = own.filter(scope="inbound", bucket_start__gte=bucket - HISTORY).aggregate(
        first=Min("bucket_start"), seen=Sum("count", filter=Q(bucket_start__lt=history_end))
    )
    if (recent["seen"] or 0) < WARMUP_MESSAGES:
        return []
    history_start = max(bucket - HISTORY, recent["first"] or history_end)
    history_buckets = max(0.0, (history_end - history_start) / BUCKET)
    observed = {
        row["scope"]: row["total"]
        for row in own.filter(
            scope__in=scopes, bucket_start__gte=window_start, bucket_start__lte=bucket
        )
        .values("scope")
        .annotate(total=Sum("count"))
    }
    scopes = [scope for scope in scopes if observed.get(scope, 0) >= SUSTAIN_MIN]
    slot = alerts._slot(bucket, zone)
    rows = (
        own.filter(scope__in=scopes, bucket_start__gte=history_start, bucket_start__lt=history_end)
        .values("scope")
        .annotate(total=Sum("count"), near=Sum("count", filter=_reference_slot_range(slot)))
    )
    total = {row["scope"]: row["total"] or 0 for row in rows}
    near = {row["scope"]: row["near"] or 0 for row in rows}
    same_time_buckets = alerts._same_time_buckets(history_start, history_end)
    verdicts = []
    for scope in scopes:
        family = alerts._family(scope)
        if history_end - history_start < WARMUP[family]:
            continue
        mean = total.get(scope, 0) / history_buckets if history_buckets >= 1 else 0.0
        rate = (near.get(scope, 0) + PRIOR_BUCKETS * mean) / (same_time_buckets + PRIOR_BUCKETS)
        expected = max(rate, FLOOR_PER_BUCKET[family]) * WINDOW_BUCKETS
        count = observed[scope]
        verdicts.append(Verdict(scope, count, expected, float(pdtrc(count - 1, expected))))
    return verdicts


def test_judging_in_sql_gives_the_orm_verdicts_at_every_time_of_day(org: Organisation) -> None:
    # Given eight days of uneven traffic in a zone whose quarter-hours wrap past midnight
    rng = random.Random(11)
    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    rows = []
    for n in range(8 * 96):
        bucket = START + n * BUCKET
        for scope in ["inbound", *SCOPES]:
            if scope != "inbound" and rng.random() < 0.4:
                continue
            rows.append(
                AlertBucket(
                    organisation=org,
                    scope=scope,
                    bucket_start=bucket,
                    slot=alerts._slot(bucket, zone),
                    count=rng.randrange(1, 12 if scope == "inbound" else 5),
                )
            )
    AlertBucket.objects.bulk_create(rows)

    # When quarter-hours across the warm-up, the week and both ends of the day are judged
    judged = [START + n * BUCKET for n in (3, 17, 80, 95, 96, 100, 300, 500, 700, 767)]
    for bucket in judged:
        ours = alerts.judge(org, SCOPES, bucket, zone)
        theirs = reference_judge(org, SCOPES, bucket, zone)

        # Then every verdict is the same, to the last digit
        assert ours == theirs, bucket
    assert any(alerts.judge(org, SCOPES, bucket, zone) for bucket in judged)


def test_the_hook_reads_ingested_values_without_reading_the_messages_back(
    org: Organisation, django_assert_num_queries: Any
) -> None:
    # Given a calm day of history and a batch handed over by ingest as plain values
    day = [
        AlertBucket(
            organisation=org,
            scope="inbound",
            bucket_start=START + n * BUCKET,
            slot=alerts._slot(START + n * BUCKET, org.zone),
            count=2,
        )
        for n in range(96)
    ]
    AlertBucket.objects.bulk_create(day)
    at = START + dt.timedelta(days=1, hours=2)
    batch = [IngestedMessage(n, org.pk, at, "Bad!", "complaint", -0.6, 0.2) for n in range(1, 4)]

    class Result:
        inbound = batch
        message_ids = [1, 2, 3]

    # When the hook sees it: the organisation, the upsert, the open alert, then the
    # warm-up, the window and the history of "negative" (no query reads the messages)
    with django_assert_num_queries(6):
        alerts.on_ingested(Result())

    # Then the batch is counted in its quarter-hour and three negatives are no spike
    quarter = alerts.bucket_of(at)
    counted = AlertBucket.objects.filter(organisation=org, bucket_start=quarter)
    assert dict(counted.values_list("scope", "count")) == {"inbound": 3, "negative": 3}
    assert not Alert.objects.exists()


def reference_terms(text: str) -> list[str]:
    """The words of a message as the detector first found them, one regex match at a time."""
    seen: dict[str, None] = {}
    for match in alerts._WORD.finditer(text.lower()):
        word = match.group(0).strip("'’-").replace("’", "'")
        if len(word) < 4 or word in alerts.STOPWORDS:
            continue
        seen.setdefault(word[:70], None)
        if len(seen) >= alerts.MAX_TERMS_PER_MESSAGE:
            break
    return list(seen)


def test_the_remembered_words_give_the_terms_found_afresh() -> None:
    rng = random.Random(5)
    vocabulary = [
        "Charged",
        "twice",
        "don’t",
        "won't",
        "-refund-",
        "café",
        "Größe",
        "#order",
        "@emberandoak",
        "x" * 90,
        "the",
        "ok",
        "it's",
        "ordered",
        "naïve",
        "12abc",
        "day",
    ]
    for _ in range(500):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randrange(1, 30)))
        # Twice: the first call learns the words, the second reads them from memory.
        assert alerts.terms(text) == reference_terms(text), text
        assert alerts.terms(text) == reference_terms(text), text
