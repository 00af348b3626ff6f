"""The brand-risk and crisis detector: an online watch over the inbound stream.

Every ingested batch adds its messages to 15-minute buckets (by the messages'
own `sent_at`, so a replayed or simulated stream behaves like a live one):
all inbound messages, the negative or high-risk ones, and per word those that are
not praise ("term:charged": a question about a double charge counts too). The
count of the last 30 minutes is then compared with what this organisation's own
history expects at this time of day:

    expected = a blend of the recent mean per bucket (last 7 days, up to 2 h ago)
               and the mean of the same hour of day on earlier days,
               never below a floor (a new organisation has no history yet)

A Poisson upper-tail p-value below RAISE_P with at least MIN_COUNT messages raises
an alert. Hysteresis keeps one spike one alert: while an alert is open, any
window still unusual at the looser SUSTAIN_P extends it (and adds its messages);
it ends after QUIET of the messages' time without such a window. One organisation
has at most one open alert: a word spike during an overall spike is the same
incident, and its words are listed on that alert.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from scipy.special import pdtrc

from rapport.accounts import audit
from rapport.accounts.models import Organisation, User
from rapport.inbox.models import Direction, Kind, Message, Notification
from rapport.insights.models import Alert, AlertBucket

logger = logging.getLogger(__name__)

BUCKET = dt.timedelta(minutes=15)
WINDOW_BUCKETS = 2  # the window judged: this quarter-hour and the one before
HISTORY = dt.timedelta(days=7)
# The most recent history is left out of the baseline, so a spike that builds up
# over an hour does not raise its own expectation before it is noticed.
HISTORY_GAP = dt.timedelta(hours=2)
TIME_OF_DAY_SLOTS = 4  # the same hour of day: this quarter-hour and 4 either side
PRIOR_BUCKETS = 9.0  # how much the overall mean weighs against the time-of-day mean
FLOOR_PER_BUCKET = {"negative": 0.5, "term": 0.25}  # one per half-hour / per hour
RAISE_P = {"negative": 1e-3, "term": 1e-5}  # words are many tests at once: stricter
MIN_COUNT = {"negative": 6, "term": 6}
SUSTAIN_P = 0.01
SUSTAIN_MIN = 3
QUIET = dt.timedelta(hours=2)
# Words are judged only once a day of history says which ones are everyday (a product
# name, "order"); the overall count is judged after a few hours, against its floor.
WARMUP = {"negative": dt.timedelta(hours=4), "term": dt.timedelta(hours=18)}
# ...and enough traffic to estimate a usual level from: a handful of messages over a
# week (a new account, the demo's first day) says nothing about what a spike is.
WARMUP_MESSAGES = 50
MAX_EVALUATIONS = 8  # a backfill of days is counted, but only its last buckets are judged
MAX_MESSAGES = 500
MAX_TERMS_PER_MESSAGE = 12

# What makes an inbound message "negative or high-risk" (triage's own fields).
NEGATIVE_KINDS = (Kind.COMPLAINT, Kind.ABUSE)
NEGATIVE_SENTIMENT = -0.35
HIGH_BRAND_RISK = 0.5

_WORD = re.compile(r"(?<![@#\w])[^\W\d_][\w'’-]{2,}", re.UNICODE)
STOPWORDS = frozenset(
    """
    about above after again against all also always am an and any are aren't around as at
    back be because been before being below between both but by can can't cannot could
    couldn't did didn't do does doesn't doing don't down during each even ever every few
    for from further get got had hadn't has hasn't have haven't having he her here hers
    herself him himself his how i'm i've if in into is isn't it it's its itself just know
    let's like made make many may me more most much must my myself need never no nor not now
    of off on once one only or other our ours ourselves out over own please really said same
    say see she should shouldn't since so some still such than thank thanks that that's the
    their theirs them themselves then there there's these they they're this those though
    through to today too under until up us very via was wasn't way we we're were weren't
    what what's when where which while who why will with won't would wouldn't yet you
    you're your yours yourself hello morning evening hey hi guys anyone else happened
    seriously again honestly literally already actually someone something anything
    two three four five six seven eight nine ten first second third last next week weeks
    day days time times
    """.split()  # noqa: SIM905 - a word list reads better as words
)


def is_negative(kind: str, sentiment: float | None, brand_risk: float | None) -> bool:
    """Return whether triage reads an inbound message as negative or a risk to the brand."""
    return (
        kind in NEGATIVE_KINDS
        or (sentiment is not None and sentiment <= NEGATIVE_SENTIMENT)
        or (brand_risk is not None and brand_risk >= HIGH_BRAND_RISK)
    )


def is_positive(kind: str, sentiment: float | None) -> bool:
    """Return whether a message is praise or clearly warm (its words are no topic of concern)."""
    return kind in (Kind.PRAISE, Kind.UGC) or (sentiment is not None and sentiment >= 0.4)


def terms(text: str) -> list[str]:
    """Return the distinct content words of a message, lower-cased, in order of appearance."""
    seen: dict[str, None] = {}
    known = _term_of
    for found in _WORD.findall(text.lower()):
        word = known.get(found)
        if word is None:
            word = _clean_term(found)
        if word:
            seen[word] = None
            if len(seen) >= MAX_TERMS_PER_MESSAGE:
                break
    return list(seen)


# Each word as found -> its term, or "" for one that is no term (a stopword, too short).
# Customers use the same few thousand words, so most are cleaned once per process.
_term_of: dict[str, str] = {}
_TERM_CACHE = 50_000


def _clean_term(found: str) -> str:
    word = found.strip("'’-").replace("’", "'")
    term = "" if len(word) < 4 or word in STOPWORDS else word[:70]
    if len(_term_of) < _TERM_CACHE:
        _term_of[found] = term
    return term


def bucket_of(moment: dt.datetime) -> dt.datetime:
    """Return the start of the quarter-hour (UTC) that holds this moment."""
    # Arithmetic on the timestamp: datetime.replace costs several times more, once per message.
    seconds = int(moment.timestamp() // 900 * 900)
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _slot(bucket: dt.datetime, zone: dt.tzinfo) -> int:
    local = bucket.astimezone(zone)
    return local.hour * 4 + local.minute // 15


def _family(scope: str) -> str:
    return "term" if scope.startswith("term:") else "negative"


@dataclass(frozen=True)
class Verdict:
    scope: str
    observed: int
    expected: float
    p_value: float

    @property
    def family(self) -> str:
        return _family(self.scope)

    @property
    def raises(self) -> bool:
        family = self.family
        return self.observed >= MIN_COUNT[family] and self.p_value < RAISE_P[family]

    @property
    def sustains(self) -> bool:
        return self.observed >= SUSTAIN_MIN and self.p_value < SUSTAIN_P


# --- The ingest hook ----------------------------------------------------------------------


def on_ingested(result: object) -> None:
    """Count a committed batch into the buckets and judge its latest quarter-hours."""
    inbound = getattr(result, "inbound", None)
    if inbound is not None:
        # Ingest hands over what it wrote, so the batch is not read back.
        observe_messages(inbound)
        return
    ids = list(getattr(result, "message_ids", []) or [])
    if ids:
        observe(ids)


class InboundLike(Protocol):
    """What the detector reads of an inbound message: these attributes and no more."""

    @property
    def pk(self) -> int: ...
    @property
    def organisation_id(self) -> int: ...
    @property
    def sent_at(self) -> dt.datetime: ...
    @property
    def text(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def sentiment(self) -> float | None: ...
    @property
    def brand_risk(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Inbound:
    """An inbound message as plain values, read from the database (no model per row)."""

    pk: int
    organisation_id: int
    sent_at: dt.datetime
    text: str
    kind: str
    sentiment: float | None
    brand_risk: float | None


def observe(message_ids: Sequence[int]) -> list[Alert]:
    """Count these inbound messages and return the alerts raised or extended by them."""
    rows = Message.objects.filter(pk__in=message_ids, direction=Direction.INBOUND).values_list(
        "pk", "organisation_id", "sent_at", "text", "kind", "sentiment", "brand_risk"
    )
    return observe_messages([Inbound(*row) for row in rows])


def observe_messages(messages: Iterable[InboundLike]) -> list[Alert]:
    """`observe`, given the inbound messages' values instead of their ids."""
    by_org: dict[int, list[InboundLike]] = defaultdict(list)
    for message in messages:
        by_org[message.organisation_id].append(message)
    if not by_org:
        return []
    touched: list[Alert] = []
    organisations = Organisation.objects.in_bulk(list(by_org))
    for organisation_id, batch in by_org.items():
        touched += _observe_organisation(organisations[organisation_id], batch)
    return touched


def _observe_organisation(organisation: Organisation, messages: list[InboundLike]) -> list[Alert]:
    zone = organisation.zone
    counts: Counter[tuple[str, dt.datetime]] = Counter()
    negative_by_bucket: dict[dt.datetime, list[InboundLike]] = defaultdict(list)
    latest_in: dict[dt.datetime, dt.datetime] = {}
    for message in messages:
        bucket = bucket_of(message.sent_at)
        if bucket not in latest_in or message.sent_at > latest_in[bucket]:
            latest_in[bucket] = message.sent_at
        counts[("inbound", bucket)] += 1
        negative = is_negative(message.kind, message.sentiment, message.brand_risk)
        if negative:
            counts[("negative", bucket)] += 1
            negative_by_bucket[bucket].append(message)
        if negative or not is_positive(message.kind, message.sentiment):
            for word in terms(message.text):
                counts[(f"term:{word}", bucket)] += 1
    _add(organisation, counts, zone)
    touched: list[Alert] = []
    scopes_in: dict[dt.datetime, list[str]] = defaultdict(list)
    for scope, bucket in counts:
        if scope != "inbound":
            scopes_in[bucket].append(scope)
    # Read once per batch: from here on only this loop opens, extends or ends it.
    alert = _open_alert(organisation)
    for bucket in sorted(latest_in)[-MAX_EVALUATIONS:]:
        latest = latest_in[bucket]
        alert = _unless_quiet(organisation, alert, latest)
        scopes = scopes_in.get(bucket)
        if not scopes:
            continue
        verdicts = judge(organisation, sorted(scopes), bucket, zone)
        alert, acted = _act(
            organisation, alert, verdicts, bucket, latest, negative_by_bucket.get(bucket, [])
        )
        if acted is not None and acted not in touched:
            touched.append(acted)
    return touched


def _add(
    organisation: Organisation, counts: Counter[tuple[str, dt.datetime]], zone: dt.tzinfo
) -> None:
    # One upsert per chunk that adds to the stored count in the database, so two batches
    # counting into one bucket never lose a message (SQLite and PostgreSQL share the syntax).
    table = connection.ops.quote_name(AlertBucket._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (organisation.pk, scope[:80], adapt(bucket), _slot(bucket, zone), amount)
        for (scope, bucket), amount in counts.items()
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _UPSERT_CHUNK):
            chunk = rows[start : start + _UPSERT_CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (organisation_id, scope, bucket_start, slot, count) "
                f"VALUES {values} ON CONFLICT (organisation_id, scope, bucket_start) "
                f"DO UPDATE SET count = {table}.count + excluded.count",
                [value for row in chunk for value in row],
            )


_UPSERT_CHUNK = 500


# --- Judging ------------------------------------------------------------------------------


def judge(
    organisation: Organisation, scopes: Sequence[str], bucket: dt.datetime, zone: dt.tzinfo
) -> list[Verdict]:
    """Return, per scope, the window's count against what history expects at this time."""
    window_start = bucket - BUCKET * (WINDOW_BUCKETS - 1)
    history_end = bucket - HISTORY_GAP
    # Hand-written SQL: these run for every quarter-hour of every ingested batch, and
    # compiling the ORM's version of each cost several times more than running it.
    table = connection.ops.quote_name(AlertBucket._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        # Only recent traffic is a baseline: after weeks of silence (a demo started long
        # after its history, a channel reconnected) the detector warms up again instead of
        # judging the first messages against an empty week.
        cursor.execute(
            f"SELECT MIN(bucket_start), SUM(CASE WHEN bucket_start < %s THEN count END) "
            f"FROM {table} WHERE organisation_id = %s AND scope = 'inbound' "
            "AND bucket_start >= %s",
            [adapt(history_end), organisation.pk, adapt(bucket - HISTORY)],
        )
        first_stored, seen = cursor.fetchone()
        if (seen or 0) < WARMUP_MESSAGES:
            return []
        first = _stored_datetime(first_stored)
        history_start = max(bucket - HISTORY, first or history_end)
        history_buckets = max(0.0, (history_end - history_start) / BUCKET)
        observed = _sums(
            cursor,
            table,
            organisation,
            scopes,
            "bucket_start >= %s AND bucket_start <= %s",
            [adapt(window_start), adapt(bucket)],
        )
        # A scope seen fewer times than an alert needs to go on can neither raise nor
        # sustain one, so its history is never read: most words of a batch stop here,
        # which keeps the detector cheap on the ingest path.
        scopes = [scope for scope in scopes if observed.get(scope, 0) >= SUSTAIN_MIN]
        if not scopes:
            return []
        slot = _slot(bucket, zone)
        # The whole week and its same-time-of-day part in one pass over the history.
        total: dict[str, int] = {}
        same_time: dict[str, int] = {}
        cursor.execute(
            f"SELECT scope, SUM(count), SUM(CASE WHEN {_slot_range(slot)} THEN count END) "
            f"FROM {table} WHERE organisation_id = %s AND scope IN ({_marks(scopes)}) "
            "AND bucket_start >= %s AND bucket_start < %s GROUP BY scope",
            [organisation.pk, *scopes, adapt(history_start), adapt(history_end)],
        )
        for scope, scope_total, near in cursor.fetchall():
            total[scope] = int(scope_total or 0)
            same_time[scope] = int(near or 0)
    same_time_buckets = _same_time_buckets(history_start, history_end)
    verdicts = []
    for scope in scopes:
        family = _family(scope)
        if history_end - history_start < WARMUP[family]:
            continue
        mean = total.get(scope, 0) / history_buckets if history_buckets >= 1 else 0.0
        rate = (same_time.get(scope, 0) + PRIOR_BUCKETS * mean) / (
            same_time_buckets + PRIOR_BUCKETS
        )
        expected = max(rate, FLOOR_PER_BUCKET[family]) * WINDOW_BUCKETS
        count = observed.get(scope, 0)
        # P(X >= count) for a Poisson count with the expected mean: the upper tail
        # P(X > count - 1), scipy's `poisson.sf` without its per-call overhead (2 us, not 200).
        p_value = float(pdtrc(count - 1, expected)) if count else 1.0
        verdicts.append(Verdict(scope, count, expected, p_value))
    return verdicts


def _marks(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _sums(
    cursor: CursorWrapper,
    table: str,
    organisation: Organisation,
    scopes: Sequence[str],
    when: str,
    params: list[Any],
) -> dict[str, int]:
    """Return each scope's count summed over the buckets that `when` selects."""
    cursor.execute(
        f"SELECT scope, SUM(count) FROM {table} WHERE organisation_id = %s "
        f"AND scope IN ({_marks(scopes)}) AND {when} GROUP BY scope",
        [organisation.pk, *scopes, *params],
    )
    return {scope: int(amount or 0) for scope, amount in cursor.fetchall()}


def _stored_datetime(value: object) -> dt.datetime | None:
    """Return a bucket time read by hand-written SQL as the ORM returns it (aware, UTC)."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        # SQLite keeps datetimes as naive UTC text.
        value = dt.datetime.fromisoformat(str(value))
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _slot_range(slot: int) -> str:
    """Return the SQL condition for this quarter-hour of the day and TIME_OF_DAY_SLOTS around."""
    low, high = slot - TIME_OF_DAY_SLOTS, slot + TIME_OF_DAY_SLOTS
    if low < 0:
        return f"(slot >= {96 + low} OR slot <= {high})"
    if high > 95:
        return f"(slot >= {low} OR slot <= {high - 96})"
    return f"(slot >= {low} AND slot <= {high})"


def _same_time_buckets(start: dt.datetime, end: dt.datetime) -> float:
    """Return how many quarter-hours of the history fall in a time-of-day range (prorated)."""
    if end <= start:
        return 0.0
    return (end - start) / dt.timedelta(days=1) * (2 * TIME_OF_DAY_SLOTS + 1)


def _open_alert(organisation: Organisation) -> Alert | None:
    return (
        Alert.objects.filter(organisation=organisation, ended_at__isnull=True)
        .order_by("-triggered_at")
        .first()
    )


def end_alert(alert: Alert, *, reason: str) -> bool:
    """Close an open alert at its last signal, recorded in the audit log as the system's doing.

    The update is conditional: an alert that another process extended (a new signal) or
    closed in the meantime is left as it is, and False returned.
    """
    ended = Alert.objects.filter(
        pk=alert.pk, ended_at__isnull=True, last_signal_at=alert.last_signal_at
    ).update(ended_at=alert.last_signal_at, updated_at=timezone.now())
    if ended != 1:
        return False
    alert.ended_at = alert.last_signal_at
    audit.record(
        None,
        "alert.closed",
        alert,
        changes={"ended_at": [None, alert.ended_at], "reason": reason},
        organisation=alert.organisation,
    )
    return True


def close_quiet_alerts(now: dt.datetime | None = None) -> int:
    """Close the alerts whose stream has gone quiet; return how many (the worker's job).

    While messages come in, the ingest hook ends an alert once QUIET of the messages'
    own time has passed without a window unusual enough to sustain it. When nothing
    comes in at all, no hook runs: an alert whose last signal is QUIET old, for an
    organisation that has received no inbound message in the last QUIET, is below any
    threshold (its window counts zero) and is closed here, at its last signal.
    """
    now = now or timezone.now()
    closed = 0
    stale = Alert.objects.filter(ended_at__isnull=True, last_signal_at__lte=now - QUIET)
    for alert in stale.select_related("organisation"):
        incoming = Message.objects.filter(
            organisation_id=alert.organisation_id,
            direction=Direction.INBOUND,
            created_at__gte=now - QUIET,
        )
        if incoming.exists():
            # A stream still flowing (perhaps a replay of older messages) is judged by
            # its messages' own times, on the ingest path.
            continue
        closed += end_alert(alert, reason=f"no messages came in for {QUIET}")
    return closed


def _unless_quiet(
    organisation: Organisation, alert: Alert | None, now: dt.datetime
) -> Alert | None:
    """Return the open alert, or None once QUIET has passed since its last signal (ending it)."""
    if alert is None or now - alert.last_signal_at < QUIET:
        return alert
    if end_alert(alert, reason="messages kept coming without a spike"):
        return None
    # Another process extended or closed it meanwhile: go on with what is open now.
    return _open_alert(organisation)


def _act(
    organisation: Organisation,
    alert: Alert | None,
    verdicts: list[Verdict],
    bucket: dt.datetime,
    latest: dt.datetime,
    batch_negative: Sequence[InboundLike],
) -> tuple[Alert | None, Alert | None]:
    """Extend the open alert or raise a new one; return (the open alert, the one acted on)."""
    if alert is not None:
        sustaining = [v for v in verdicts if v.sustains]
        if not sustaining:
            return alert, None
        _extend(alert, sustaining, latest, batch_negative)
        return alert, alert
    raising = [v for v in verdicts if v.raises]
    if not raising:
        return None, None
    raised = _raise(organisation, raising, bucket, latest)
    return raised, raised


def _extend(
    alert: Alert, verdicts: list[Verdict], latest: dt.datetime, messages: Sequence[InboundLike]
) -> None:
    scopes = list(alert.scopes)
    scopes += [v.scope for v in verdicts if v.raises and v.scope not in scopes]
    alert.scopes = scopes
    alert.terms = [*alert.terms, *(w for w in _terms_of(scopes) if w not in alert.terms)]
    alert.last_signal_at = max(alert.last_signal_at, latest)
    alert.peak_observed = max(alert.peak_observed, *(v.observed for v in verdicts))
    room = MAX_MESSAGES - alert.message_count
    if room > 0 and messages:
        before = alert.message_count
        alert.messages.add(*[m.pk for m in messages[:room]])
        alert.message_count = alert.messages.count()
        # The first half-hour of a spike is a small sample; name it again as it grows:
        # each time its messages double (nine times at most, up to MAX_MESSAGES), not
        # on every batch, which would read all of them again each time.
        if alert.message_count.bit_length() > before.bit_length():
            grown = list(alert.messages.only("pk", "text"))
            found = _top_terms(alert.organisation, grown, bucket_of(alert.triggered_at))
            named = [w for w in alert.terms if f"term:{w}" in alert.scopes]
            alert.terms = [*named, *(w for w in found if w not in named)][:5]
            alert.title = _title_from(alert, alert.terms)
    alert.save(
        update_fields=[
            "scopes",
            "terms",
            "title",
            "last_signal_at",
            "peak_observed",
            "message_count",
            "updated_at",
        ]
    )


def _terms_of(scopes: Iterable[str]) -> list[str]:
    return [scope.removeprefix("term:") for scope in scopes if scope.startswith("term:")]


def _raise(
    organisation: Organisation, verdicts: list[Verdict], bucket: dt.datetime, latest: dt.datetime
) -> Alert:
    # The strongest signal names the alert: the overall count when it tripped, else a word.
    overall = next((v for v in verdicts if v.scope == "negative"), None)
    lead = overall or min(verdicts, key=lambda v: v.p_value)
    window_start = bucket - BUCKET * (WINDOW_BUCKETS - 1)
    scopes = [v.scope for v in sorted(verdicts, key=lambda v: v.p_value)]
    words = _terms_of(scopes)
    messages = _window_messages(organisation, window_start, latest, words if not overall else [])
    if not words:
        words = _top_terms(organisation, messages, bucket)
    title = _title(lead, words)
    with transaction.atomic():
        alert = Alert.objects.create(
            organisation=organisation,
            title=title,
            scopes=scopes,
            terms=words,
            started_at=min((m.sent_at for m in messages), default=window_start),
            triggered_at=latest,
            last_signal_at=latest,
            observed=lead.observed,
            expected=round(lead.expected, 3),
            p_value=lead.p_value,
            window_minutes=int(WINDOW_BUCKETS * BUCKET.total_seconds() // 60),
            peak_observed=lead.observed,
            message_count=len(messages),
        )
        alert.messages.add(*[m.pk for m in messages])
        _notify(alert)
    logger.warning("brand-risk alert %s for organisation %s: %s", alert.pk, organisation.pk, title)
    return alert


def _window_messages(
    organisation: Organisation, start: dt.datetime, end: dt.datetime, words: list[str]
) -> list[Message]:
    rows = Message.objects.filter(
        organisation=organisation,
        direction=Direction.INBOUND,
        sent_at__gte=start,
        sent_at__lte=end,
    ).only("pk", "sent_at", "text", "kind", "sentiment", "brand_risk")
    wanted = set(words)
    found = [
        m
        for m in rows.order_by("sent_at")[: MAX_MESSAGES * 4]
        if (
            wanted & set(terms(m.text)) and not is_positive(m.kind, m.sentiment)
            if wanted
            else is_negative(m.kind, m.sentiment, m.brand_risk)
        )
    ]
    return found[:MAX_MESSAGES]


def _top_terms(
    organisation: Organisation,
    messages: Sequence[Message | InboundLike],
    bucket: dt.datetime,
    limit: int = 3,
) -> list[str]:
    """Return the words that set this spike apart: frequent in it, rare in the history."""
    counts: Counter[str] = Counter()
    for message in messages:
        counts.update(terms(message.text))
    # Only words shared by at least a fifth of the spike say what it is about.
    floor = max(2, len(messages) // 5)
    candidates = [word for word, n in counts.most_common(20) if n >= floor]
    if not candidates:
        return []
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        history = _sums(
            cursor,
            connection.ops.quote_name(AlertBucket._meta.db_table),
            organisation,
            [f"term:{word}"[:80] for word in candidates],
            "bucket_start >= %s AND bucket_start < %s",
            [adapt(bucket - HISTORY), adapt(bucket - HISTORY_GAP)],
        )
    days = HISTORY / dt.timedelta(days=1)

    def lift(word: str) -> float:
        per_day = history.get(f"term:{word}"[:80], 0) / days
        return counts[word] / (1.0 + per_day)

    return sorted(candidates, key=lift, reverse=True)[:limit]


def _title(lead: Verdict, words: list[str]) -> str:
    return _title_text(lead.observed, lead.expected, words)


def _title_from(alert: Alert, words: list[str]) -> str:
    return _title_text(alert.observed, alert.expected, words)


def _title_text(observed: int, expected: float, words: list[str]) -> str:
    about = ", ".join(f"“{w}”" for w in words[:3])
    times = observed / expected if expected else 0
    # "1× the usual" for a significant 1.4-fold rise reads as no rise at all.
    ratio = f"{times:.1f}" if times < 10 else f"{times:.0f}"
    what = "Spike in negative messages" + (f" about {about}" if about else "")
    return f"{what}: {observed} in {WINDOW_BUCKETS * 15} min, {ratio}× the usual"[:200]


# --- Telling people -----------------------------------------------------------------------


def recipients(organisation: Organisation) -> list[User]:
    """Return who is told about an alert: the supervisors, else the managers and admins."""
    from rapport.inbox.selectors import supervisors_for

    people = supervisors_for(organisation.pk, None)
    if not people:
        people = list(
            User.objects.filter(
                organisation=organisation, role__in=("manager", "admin"), is_active=True
            )
        )
    return people


def _notify(alert: Alert) -> None:
    people = recipients(alert.organisation)
    Notification.objects.bulk_create(
        [
            Notification(
                user=person,
                kind="brand_alert",
                text=alert.title[:300],
                created_at=alert.created_at,
            )
            for person in people
        ]
    )
    emails = [person.email for person in people if person.email]
    if emails:
        transaction.on_commit(lambda: _email(alert.pk, emails))


def _alerts_path() -> str:
    try:
        return reverse("insights:alerts")
    except NoReverseMatch:  # pragma: no cover - the page is always mounted in the app
        return "/insights/alerts/"


def _email(alert_id: int, emails: list[str]) -> None:
    alert = Alert.objects.filter(pk=alert_id).select_related("organisation").first()
    if alert is None:
        return
    samples = list(alert.messages.order_by("sent_at")[:5].values_list("text", flat=True))
    lines = [
        alert.title,
        "",
        f"Observed {alert.observed} negative or high-risk messages in {alert.window_minutes} "
        f"minutes where about {alert.expected:.1f} were expected (p = {alert.p_value:.1g}).",
        f"First message at {alert.started_at:%Y-%m-%d %H:%M} UTC.",
        "",
        "Some of the messages:",
        *[f"  - {' '.join(text.split())[:200]}" for text in samples],
        "",
        f"Acknowledge it and note what was done: {settings.SITE_URL.rstrip('/')}{_alerts_path()}",
    ]
    try:
        send_mail(
            f"[{alert.organisation.name}] Brand-risk alert: {alert.title}"[:200],
            "\n".join(lines),
            settings.DEFAULT_FROM_EMAIL,
            emails,
        )
    except Exception:
        # The alert is recorded and in the app; a mail failure must not lose it.
        logger.exception("a brand-risk alert email could not be sent")
