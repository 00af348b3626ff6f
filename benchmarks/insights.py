"""Measure the insights pages and the monthly report on a year of data.

    python benchmarks/insights.py --messages 1000000 --json
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rapport_bench python benchmarks/insights.py ...

It builds a fresh database (a temporary SQLite file, or the PostgreSQL database
named by DATABASE_URL, which it empties first; see benchmarks/inbox.py) holding
a year up to today: `--messages` messages in conversations of five messages on
average (200,000 conversations for a million), customers answered by twelve
agents in three teams over four channels, with SLA deadlines on a business
calendar, resolutions of complaints, survey responses, and for two social
accounts a year of posts (two a day each), post metrics and follower counts.
Rows are written with batched INSERTs: building the data is not what is timed.

It then reports, each the median of `--runs` runs:

- facts_build_s: the worker's first full build of the service rollups
  (business-hours durations of every conversation), done once;
- facts_refresh_ms: the incremental refresh after 500 conversations changed;
- facts_check_ms: the check for changed conversations that the pages and the
  report make at most once a minute per organisation;
- service_dashboard_ms: GET /insights/ for last month, as a supervisor (key
  figures, volume, times, SLA, backlog, complaints, surveys, chart data),
  through the full Django stack;
- service_people_ms: GET /insights/people/, the per-agent and per-team tables
  that the service page loads (htmx) as soon as it is shown;
- service_dashboard_year_ms: the same page for the last 365 days;
- social_dashboard_ms: GET /insights/social/ for last month;
- compare_ms: GET /insights/compare/ (every metric against the month before);
- report_html_ms / report_pdf_ms: the monthly report for last month
  (`report.build` + `report.render_html` / `report.render_pdf`), built afresh
  each run (nothing cached); report_html_cpu_ms, the same in CPU time; and
  report_queries, the queries of one build;
- queries per page, and peak_rss_mb.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import resource
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.inbox import configure, make_text  # noqa: E402

KINDS = [
    ("question", 40),
    ("complaint", 25),
    ("praise", 10),
    ("ugc", 8),
    ("review", 7),
    ("abuse", 3),
    ("spam", 2),
    ("other", 5),
]
CATEGORIES = ["delivery", "refund", "quality", "billing", "staff", "website"]
MESSAGES_PER_CONVERSATION = [2, 3, 4, 5, 5, 6, 6, 7, 8, 4]  # mean 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--reuse",
        metavar="DATA_DIR",
        help="time the pages again on the database a previous run left (its SQLite file in "
        "DATA_DIR, or DATABASE_URL's; migrated first; nothing is built, so the data_build_s "
        "and facts_build_s figures are left out)",
    )
    args = parser.parse_args()
    if args.reuse and args.database_url:
        # PostgreSQL: the database as a previous run left it (migrated, not emptied).
        configure(args.database_url, args.reuse)
    elif args.reuse:
        _reuse(args.reuse)
    else:
        configure(args.database_url)
    # WeasyPrint logs every layout step at INFO; the figures are what is wanted here.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:30} {value}")


def _reuse(data_dir: str) -> None:
    os.environ["RAPPORT_DATA_DIR"] = data_dir
    os.environ.setdefault("RAPPORT_SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijkl")
    os.environ["RAPPORT_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "rapport.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from rapport.insights import facts

    rng = random.Random(args.seed)
    now = timezone.now()
    built: dict[str, Any] = {}
    if args.reuse:
        world = _existing()
    else:
        began = time.perf_counter()
        world = build(rng, args.messages, now)
        built["data_build_s"] = round(time.perf_counter() - began, 1)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        _progress(f"data built in {built['data_build_s']:.0f} s; building the rollups")
        began = time.perf_counter()
        facts.refresh(world["organisation"], full=True)
        built["facts_build_s"] = round(time.perf_counter() - began, 1)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    # An incremental refresh after some work: 500 conversations touched.
    from rapport.inbox.models import Conversation

    touched = list(Conversation.objects.order_by("-id").values_list("id", flat=True)[:500])
    Conversation.objects.filter(id__in=touched).update(updated_at=timezone.now())
    time.sleep(0.01)
    began = time.perf_counter()
    refreshed = facts.refresh(world["organisation"])
    facts_refresh_ms = (time.perf_counter() - began) * 1000
    # The check for changes that pages and the report pay at most once a minute per
    # organisation (facts.refresh_if_stale), timed with nothing changed: a refresh
    # re-reads the last 5 s, so wait those out first.
    time.sleep(5.1)
    facts.refresh(world["organisation"])
    assert not facts.maybe_changed(world["organisation"])
    checks = []
    for _ in range(args.runs):
        began = time.perf_counter()
        facts.maybe_changed(world["organisation"])
        checks.append((time.perf_counter() - began) * 1000)

    zone = world["zone"]
    today = now.astimezone(zone).date()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    month = {"start": last_month_end.replace(day=1).isoformat(), "end": last_month_end.isoformat()}
    year = {"start": (today - dt.timedelta(days=364)).isoformat(), "end": today.isoformat()}

    # The pages are served as in production, with hashed static files.
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client(SERVER_NAME="localhost")
    client.force_login(world["supervisor"])

    def page(path: str, params: dict[str, str]) -> tuple[float, int]:
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            response = client.get(path, params)
            _ = response.content
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(path, params)
        return round(statistics.median(times), 1), len(queries.captured_queries)

    _progress("timing the pages")
    service_ms, service_queries = page("/insights/", month)
    # The per-agent and per-team tables, which the page loads right after it shows.
    people_ms, people_queries = page("/insights/people/", month)
    service_year_ms, _ = page("/insights/", year)
    social_ms, social_queries = page("/insights/social/", month)
    compare_ms, compare_queries = page("/insights/compare/", month)

    _progress("timing the report")
    report_html_ms, report_html_cpu_ms, report_pdf_ms, report_queries = _report(
        world["organisation"], last_month_end, args.runs
    )

    return {
        "database": connection.vendor,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "messages": world["messages"],
        "conversations": world["conversations"],
        "posts": world["posts"],
        **built,
        "facts_refresh_ms": round(facts_refresh_ms, 1),
        "facts_refreshed": refreshed,
        "facts_check_ms": round(statistics.median(checks), 1),
        "service_dashboard_ms": service_ms,
        "service_dashboard_queries": service_queries,
        "service_people_ms": people_ms,
        "service_people_queries": people_queries,
        "service_dashboard_year_ms": service_year_ms,
        "social_dashboard_ms": social_ms,
        "social_dashboard_queries": social_queries,
        "compare_ms": compare_ms,
        "compare_queries": compare_queries,
        "report_html_ms": report_html_ms,
        "report_html_cpu_ms": report_html_cpu_ms,
        "report_pdf_ms": report_pdf_ms,
        "report_queries": report_queries,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _existing() -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from rapport.accounts.models import Organisation, User
    from rapport.inbox.models import Conversation, Message
    from rapport.publishing.models import PostVariant

    organisation = Organisation.objects.get(slug="bench-insights")
    return {
        "organisation": organisation,
        "supervisor": User.objects.get(email="sam@bench.example"),
        "zone": ZoneInfo(organisation.time_zone),
        "messages": Message.objects.filter(organisation=organisation).count(),
        "conversations": Conversation.objects.filter(organisation=organisation).count(),
        "posts": PostVariant.objects.filter(post__organisation=organisation).count(),
    }


def _report(
    organisation: Any, last_day: dt.date, runs: int
) -> tuple[float | None, float | None, float | None, int | None]:
    """Time the monthly report's HTML and PDF, and count the queries of one build.

    Each run builds the report from the rollups: nothing of a report or its charts is
    cached between runs. The HTML is also timed in this process's CPU time (SQLite
    runs in the process), which a busy machine inflates far less than wall time.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        from rapport.insights import report
    except ImportError:
        return None, None, None, None
    month = last_day.replace(day=1)
    html_times, cpu_times, pdf_times = [], [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        built = report.build(organisation, month, record=False)
        report.render_html(built)
        html_times.append((time.perf_counter() - began) * 1000)
        cpu_times.append((time.process_time() - began_cpu) * 1000)
    for _ in range(max(1, runs // 2)):
        began = time.perf_counter()
        built = report.build(organisation, month, record=False)
        report.render_pdf(built)
        pdf_times.append((time.perf_counter() - began) * 1000)
    with CaptureQueriesContext(connection) as queries:
        report.build(organisation, month, record=False)
    return (
        round(statistics.median(html_times), 1),
        round(statistics.median(cpu_times), 1),
        round(statistics.median(pdf_times), 1),
        len(queries.captured_queries),
    )


def build(rng: random.Random, messages: int, now: dt.datetime) -> dict[str, Any]:
    """Write a year of service and social data; return what the timings need."""
    from zoneinfo import ZoneInfo

    from rapport.accounts import services as accounts
    from rapport.accounts.models import Organisation
    from rapport.channels.models import Channel
    from rapport.customers.models import Customer
    from rapport.inbox.indexing import insert_messages
    from rapport.inbox.models import (
        BusinessCalendar,
        ComplaintResolution,
        Conversation,
        SlaPolicy,
        SlaTarget,
    )
    from rapport.inbox.sla import calendar_of
    from rapport.lib import bulk
    from rapport.lib.business_hours import add_business_time
    from rapport.surveys.models import Survey, SurveyResponse

    zone_name = "Europe/London"
    organisation = Organisation.objects.create(
        name="Bench Roasters", slug="bench-insights", time_zone=zone_name
    )
    admin = accounts.create_user(
        None, email="admin@bench.example", role="admin", organisation=organisation, password=None
    )
    supervisor = accounts.create_user(
        None, email="sam@bench.example", role="supervisor", organisation=organisation, password=None
    )
    teams = []
    agents_by_team: list[list[int]] = []
    for index, name in enumerate(("Care", "Social", "Complaints")):
        team = accounts.create_team(admin, name=name)
        members = [
            accounts.create_user(
                None,
                email=f"agent{index}-{n}@bench.example",
                role="agent",
                organisation=organisation,
                password=None,
                full_name=f"Agent {index}-{n}",
            )
            for n in range(4)
        ]
        accounts.set_team_members(admin, team, members=members)
        teams.append(team)
        agents_by_team.append([member.pk for member in members])
    calendar = BusinessCalendar.objects.create(
        organisation=organisation,
        name="Office",
        time_zone=zone_name,
        weekly_hours={str(day): [["08:00", "18:00"]] for day in range(6)},
    )
    policy = SlaPolicy.objects.create(
        organisation=organisation, name="Standard", calendar=calendar, is_default=True
    )
    SlaTarget.objects.create(
        policy=policy, first_response_minutes=60, next_response_minutes=120, resolution_minutes=1440
    )
    clock = calendar_of(calendar)
    channels = [
        Channel.objects.create(organisation=organisation, name=name, kind=kind)
        for name, kind in (
            ("Email", "email"),
            ("Web form", "webform"),
            ("Sandbox", "sandbox"),
            ("Mastodon", "mastodon"),
        )
    ]
    customers = bulk.insert_values(
        Customer,
        [
            {
                "public_id": uuid.uuid4(),
                "organisation_id": organisation.pk,
                "display_name": f"Customer {n}",
            }
            for n in range(max(100, messages // 50))
        ],
    )
    survey = Survey.objects.create(organisation=organisation, name="After a conversation")

    kinds = [kind for kind, _ in KINDS]
    weights = [weight for _, weight in KINDS]
    year_start = now - dt.timedelta(days=365)
    conversations_wanted = max(1, messages // 5)
    written_messages = written_conversations = 0
    chunk = 2000
    _progress(f"writing {conversations_wanted} conversations, ~{messages} messages")
    while written_conversations < conversations_wanted:
        count = min(chunk, conversations_wanted - written_conversations)
        plans: list[dict[str, Any]] = []
        for n in range(count):
            position = (written_conversations + n) / conversations_wanted
            opened = year_start + dt.timedelta(days=365 * position, seconds=rng.randrange(600))
            kind = rng.choices(kinds, weights)[0]
            team_index = rng.randrange(3) if kind != "complaint" else 2
            channel = rng.choice(channels)
            assignee = rng.choice(agents_by_team[team_index]) if rng.random() < 0.9 else None
            # A conversation: the customer writes, we answer, and so on.
            times = [opened]
            directions = ["in"]
            for step in range(1, rng.choice(MESSAGES_PER_CONVERSATION)):
                if step % 2:
                    gap = dt.timedelta(minutes=rng.lognormvariate(3.6, 1.1))  # median ~37 min
                else:
                    gap = dt.timedelta(minutes=rng.uniform(5, 600))
                times.append(times[-1] + gap)
                directions.append("out" if step % 2 else "in")
            times = [t for t in times if t < now] or [opened]
            directions = directions[: len(times)]
            first_out = next(
                (t for t, d in zip(times, directions, strict=True) if d == "out"), None
            )
            resolved = None
            status = "open" if first_out else "new"
            if now - times[-1] > dt.timedelta(days=2) or rng.random() < 0.5:
                resolved = times[-1] + dt.timedelta(minutes=rng.uniform(1, 240))
                status = "resolved" if resolved < now else status
                resolved = resolved if resolved < now else None
            plans.append(
                {
                    "opened": opened,
                    "kind": kind,
                    "team": teams[team_index].pk,
                    "channel": channel.pk,
                    "assignee": assignee,
                    "customer": rng.choice(customers),
                    "times": times,
                    "directions": directions,
                    "first_out": first_out,
                    "resolved": resolved,
                    "status": status,
                    "category": rng.choice(CATEGORIES) if kind == "complaint" else "",
                }
            )
        ids = bulk.insert_values(
            Conversation,
            [
                {
                    "public_id": uuid.uuid4(),
                    "organisation_id": organisation.pk,
                    "channel_id": plan["channel"],
                    "customer_id": plan["customer"],
                    "status": plan["status"],
                    "kind": plan["kind"],
                    "priority": 2,
                    "assignee_id": plan["assignee"],
                    "team_id": plan["team"],
                    "intent": plan["category"],
                    "created_at": plan["opened"],
                    "updated_at": plan["times"][-1],
                    "last_message_at": plan["times"][-1],
                    "last_message_preview": "…",
                    "message_count": len(plan["times"]),
                    "sla_policy_id": policy.pk,
                    "first_response_due_at": add_business_time(
                        clock, plan["opened"], dt.timedelta(minutes=60)
                    ),
                    "first_responded_at": plan["first_out"],
                    "resolution_due_at": add_business_time(
                        clock, plan["opened"], dt.timedelta(minutes=1440)
                    ),
                    "resolved_at": plan["resolved"],
                }
                for plan in plans
            ],
        )
        rows = []
        resolutions = []
        responses = []
        for conversation_id, plan in zip(ids, plans, strict=True):
            for when, direction in zip(plan["times"], plan["directions"], strict=True):
                inbound = direction == "in"
                rows.append(
                    {
                        "public_id": uuid.uuid4(),
                        "organisation_id": organisation.pk,
                        "conversation_id": conversation_id,
                        "channel_id": plan["channel"],
                        "external_id": None,
                        "direction": direction,
                        "author_customer_id": plan["customer"] if inbound else None,
                        "author_user_id": None if inbound else plan["assignee"],
                        "text": make_text(rng) if inbound else "Thanks for getting in touch.",
                        "sent_at": when,
                        "created_at": when,
                        "kind": plan["kind"] if inbound else "",
                        "sentiment": _sentiment(rng, plan["kind"]) if inbound else None,
                        "delivery_status": "received" if inbound else "sent",
                    }
                )
            if plan["resolved"] and plan["kind"] == "complaint" and rng.random() < 0.6:
                action = rng.choice(["refund", "replacement", "apology", "credit", "information"])
                cost = {"refund": 18, "replacement": 25, "credit": 10}.get(action, 0)
                resolutions.append(
                    ComplaintResolution(
                        public_id=uuid.uuid4(),
                        organisation_id=organisation.pk,
                        conversation_id=conversation_id,
                        action=action,
                        cost=Decimal(f"{cost * rng.uniform(0.5, 2):.2f}"),
                        customer_acceptance=rng.choice(
                            ["accepted", "accepted", "rejected", "no_reply"]
                        ),
                        created_at=plan["resolved"],
                    )
                )
            if plan["resolved"] and rng.random() < 0.12:
                happy = 0.3 if plan["kind"] == "complaint" else 0.8
                csat = 5 if rng.random() < happy else rng.choice([1, 2, 3, 4])
                responses.append(
                    SurveyResponse(
                        public_id=uuid.uuid4(),
                        organisation_id=organisation.pk,
                        survey_id=survey.pk,
                        conversation_id=conversation_id,
                        agent_id=plan["assignee"],
                        team_id=plan["team"],
                        channel_id=plan["channel"],
                        submitted_at=plan["resolved"] + dt.timedelta(hours=1),
                        csat=csat,
                        nps=min(10, max(0, csat * 2 + rng.choice([-1, 0, 0, 1]))),
                        ces=rng.randint(1, 7),
                    )
                )
        for start_at in range(0, len(rows), 500):
            insert_messages(rows[start_at : start_at + 500])
        ComplaintResolution.objects.bulk_create(resolutions, batch_size=500)
        SurveyResponse.objects.bulk_create(
            [r for r in responses if r.submitted_at < now], batch_size=500
        )
        written_messages += len(rows)
        written_conversations += count
        if written_conversations % 20_000 < chunk:
            _progress(f"{written_conversations} conversations, {written_messages} messages")
    posts = _social(rng, organisation, admin, channels[2:], now)
    return {
        "organisation": organisation,
        "supervisor": supervisor,
        "zone": ZoneInfo(zone_name),
        "messages": written_messages,
        "conversations": written_conversations,
        "posts": posts,
    }


def _sentiment(rng: random.Random, kind: str) -> float:
    centre = {"complaint": -0.6, "abuse": -0.8, "praise": 0.7, "ugc": 0.5, "review": 0.2}
    return max(-1.0, min(1.0, rng.gauss(centre.get(kind, 0.0), 0.3)))


def _social(
    rng: random.Random, organisation: Any, author: Any, accounts: list[Any], now: dt.datetime
) -> int:
    """A year of posts (two a day per account), their metrics, and follower counts."""
    from rapport.publishing.models import (
        AccountMetricSample,
        Asset,
        Campaign,
        Post,
        PostMetricSample,
        PostVariant,
    )

    photo = Asset.objects.create(organisation=organisation, kind="image", title="Latte art")
    campaign = Campaign.objects.create(
        organisation=organisation,
        name="Home brew month",
        kind="ugc",
        hashtag="homebrew",
        goal_metric="ugc_items",
        goal_target=500,
        starts_on=(now - dt.timedelta(days=60)).date(),
    )
    samples = []
    for account_index, account in enumerate(accounts):
        followers = 2000 + 3000 * account_index
        for hours in range(0, 365 * 24, 6):
            followers += rng.randint(-3, 12)
            samples.append(
                AccountMetricSample(
                    channel=account,
                    collected_at=now - dt.timedelta(days=365) + dt.timedelta(hours=hours),
                    followers=followers,
                )
            )
    AccountMetricSample.objects.bulk_create(samples, batch_size=1000)
    count = 0
    metric_rows = []
    for day in range(365):
        for account in accounts:
            for _ in range(2):
                published = now - dt.timedelta(days=365 - day, hours=-rng.randint(7, 21))
                if published >= now:
                    continue
                post = Post.objects.create(
                    organisation=organisation,
                    author=author,
                    status="published",
                    published_at=published,
                    campaign=campaign if day > 305 and rng.random() < 0.5 else None,
                    title=f"Post {day}-{count}",
                )
                variant = PostVariant.objects.create(
                    post=post,
                    channel=account,
                    text=make_text(rng),
                    status="published",
                    published_at=published,
                )
                media = rng.random() < 0.4
                if media:
                    variant.assets.add(photo)
                base = rng.lognormvariate(2.5 + (0.8 if media else 0), 0.6)
                for step in range(1, 5):
                    collected = published + dt.timedelta(hours=6 * step)
                    if collected >= now:
                        break
                    grown = base * step / 4
                    metric_rows.append(
                        PostMetricSample(
                            variant=variant,
                            collected_at=collected,
                            favourites=int(grown),
                            boosts=int(grown / 4),
                            replies=int(grown / 6),
                            # Only the second platform reports impressions.
                            impressions=int(grown * 40) if account is accounts[-1] else None,
                        )
                    )
                count += 1
    PostMetricSample.objects.bulk_create(metric_rows, batch_size=1000)
    return count


if __name__ == "__main__":
    main()
