"""The `rapport` command: thin verbs over Django and the services.

rapport demo        set up and run a demo (web UI and worker) on 127.0.0.1
rapport serve       run the production web server (granian, several workers)
rapport worker      run background jobs and the periodic scheduler
rapport migrate     apply database migrations
rapport createadmin create an administrator
rapport check       check configuration, database and migrations
rapport report      write the monthly report (HTML and PDF) of a month
rapport triage ...  train, evaluate and run the triage models
rapport manage ...  any Django management command
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

SETTINGS = "rapport.settings"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"rapport: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _call(*args: str, **options: Any) -> None:
    from django.core.management import call_command

    call_command(*args, **options)


# --- demo ---------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ["RAPPORT_DEMO"] = "1"
    _setup()
    from django.conf import settings

    from rapport.accounts.demo import DEMO_SLUG, seed_demo
    from rapport.accounts.models import Organisation
    from rapport.channels.demo import seed_channels
    from rapport.inbox.demo import seed_inbox
    from rapport.insights.demo import seed_history
    from rapport.publishing.demo import seed_publishing
    from rapport.publishing.research import load_starting_set
    from rapport.surveys.demo import seed_surveys

    print(f"Data directory: {settings.DATA_DIR}")
    _call("migrate", interactive=False, verbosity=0)
    _call("collectstatic", interactive=False, verbosity=0)
    logins = seed_demo(reset_passwords=args.reset_passwords)
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    seed_inbox(organisation)
    url = f"http://{args.host}:{args.port}"
    seed_channels(organisation, base_url=url)  # live traffic: sandbox, review feed, web form
    seed_publishing(organisation)  # approval rule, campaigns, posts in five states
    load_starting_set(organisation)  # the dated, sourced platform research starting set
    seed_surveys(organisation)  # an on-resolve CSAT + NPS survey and three months of responses
    seed_history(organisation)  # demo history for Sep-Oct 2026, so the October report has data
    _print_logins(logins)
    env = {**os.environ, "RAPPORT_DEMO": "1"}
    server = subprocess.Popen(_granian_argv(args.host, args.port, workers=1), env=env)
    worker = subprocess.Popen([sys.executable, "-m", "rapport", "worker"], env=env)
    print(f"\nRapport is running at {url}  (Ctrl-C stops the web server and the worker)")
    print(f"Customers' contact form: {url}/contact/{DEMO_SLUG}/\n")
    return _supervise([server, worker])


def _print_logins(logins: Sequence[object]) -> None:
    if not logins:
        print(
            "The demo logins were printed when the demo was first set up. "
            "Run `rapport demo --reset-passwords` to get new ones."
        )
        return
    print("\nDemo logins (shown once; keep them):")
    for login in logins:
        print(f"  {login.role:<11} {login.email:<28} {login.password}")  # type: ignore[attr-defined]


def _supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Wait until a child exits or we are interrupted, then stop them all cleanly."""
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    print("Rapport stopped.")
    return 0 if stopping else 1


# --- serve, worker ------------------------------------------------------------------


def _granian_argv(host: str, port: int, *, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        "4",
        "--no-ws",
        "rapport.wsgi:application",
    ]


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()  # fails here, clearly, on a missing secret or a bad setting
    _call("collectstatic", interactive=False, verbosity=0)
    argv = _granian_argv(args.host, args.port, workers=args.workers)
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    import logging
    import socket

    from django_tasks_db.management.commands.db_worker import Worker

    from rapport.jobs.scheduler import SchedulerThread

    logging.basicConfig(level=logging.INFO)
    worker_id = args.worker_id or f"{socket.gethostname()}-{os.getpid()}"[:64]
    scheduler = None
    if not args.no_scheduler:
        scheduler = SchedulerThread(worker_id, period=args.schedule_period)
        scheduler.start()
    worker = Worker(
        queue_names=args.queues.split(","),
        interval=args.interval,
        batch=args.batch,
        backend_name="default",
        startup_delay=not args.batch,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    worker.configure_signals()
    try:
        worker.run()
    finally:
        if scheduler:
            scheduler.stop()
    return 0


# --- admin verbs ----------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    _call("migrate", interactive=False, verbosity=1)
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup()
    from rapport.accounts import services
    from rapport.accounts.models import Organisation
    from rapport.accounts.roles import Role
    from rapport.lib.errors import DomainError

    email = args.email or input("Email: ").strip()
    password = os.environ.get("RAPPORT_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        organisation = Organisation.objects.filter(slug=args.organisation).first()
        if organisation is None:
            organisation = services.create_organisation(
                name=args.organisation_name or args.organisation, slug=args.organisation
            )
        user = services.create_user(
            None,
            email=email,
            role=Role.ADMIN,
            full_name=args.name,
            password=password,
            organisation=organisation,
            is_staff=True,
        )
    except DomainError as exc:
        print(f"rapport: {exc.message}", file=sys.stderr)
        return 1
    print(f"Administrator {user.email} created in {organisation.name}.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings
    from django.core.management.base import SystemCheckError
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        _call("check", deploy=not settings.DEBUG, fail_level="ERROR")
    except SystemCheckError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        print(f"rapport: database unreachable: {exc}", file=sys.stderr)
        return 1
    if pending:
        print(f"rapport: {len(pending)} migrations not applied: run `rapport migrate`.")
        return 1
    print(f"OK: configuration, database ({connection.vendor}) and migrations.")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rapport manage", *args.rest])
    return 0


def cmd_triage(args: argparse.Namespace) -> int:
    from rapport.triage.cli import main as triage_main

    return triage_main(args.rest)


def cmd_report(args: argparse.Namespace) -> int:
    _setup()
    from pathlib import Path

    from rapport.accounts.models import Organisation
    from rapport.insights import report
    from rapport.lib.errors import DomainError

    organisations = Organisation.objects.all()
    if args.organisation:
        organisations = organisations.filter(slug=args.organisation)
    found = list(organisations[:2])
    if len(found) != 1:
        what = (
            f"no organisation {args.organisation!r}"
            if args.organisation
            else (
                "several organisations: name one with --organisation SLUG"
                if found
                else "no organisation yet"
            )
        )
        print(f"rapport report: {what}", file=sys.stderr)
        return 2
    try:
        month = report.parse_month(args.month)
    except DomainError as exc:
        print(f"rapport report: {exc.message}", file=sys.stderr)
        return 2
    built = report.build(found[0], month)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / report.filename(built, "html")
    html_path.write_text(report.render_html(built, for_pdf=True), encoding="utf-8")
    pdf_path = out / report.filename(built, "pdf")
    pdf_path.write_bytes(report.render_pdf(built))
    print(f"{built.title}: {len(built.recommendations)} recommendations")
    print(html_path)
    print(pdf_path)
    return 0


# --- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport",
        description="Rapport: customer service and social media engagement, self-hosted.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="set up and run a demo: migrate, seed an organisation, start web and worker",
        description=(
            "Migrate the embedded database, seed a demo organisation (an admin and one user "
            "per role; passwords printed once), then run the web server and the background "
            "worker together until Ctrl-C. Data lives in RAPPORT_DATA_DIR (default ./var)."
        ),
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on")
    demo.add_argument("--port", type=int, default=8000, help="port to listen on")
    demo.add_argument(
        "--reset-passwords", action="store_true", help="give every demo user a new password"
    )
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser(
        "serve",
        help="run the production web server",
        description=(
            "Run Rapport's web server (granian, WSGI) with several worker processes. Needs "
            "RAPPORT_SECRET_KEY unless RAPPORT_DEBUG=1. Run `rapport migrate` first."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("RAPPORT_WEB_WORKERS", os.cpu_count() or 2)),
        help="worker processes (default: RAPPORT_WEB_WORKERS or the number of cores)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="run background jobs and the periodic scheduler",
        description=(
            "Run queued background jobs (django-tasks-db) and the periodic scheduler. Several "
            "workers may run at once, on one machine or many: each job and each periodic run "
            "is claimed by exactly one of them."
        ),
    )
    worker.add_argument("--queues", default="*", help="comma-separated queues, '*' for all")
    worker.add_argument(
        "--interval", type=float, default=1.0, help="seconds to wait when the queue is empty"
    )
    worker.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    worker.add_argument("--no-scheduler", action="store_true", help="do not run the scheduler")
    worker.add_argument(
        "--schedule-period", type=float, default=15.0, help="seconds between scheduler ticks"
    )
    worker.add_argument("--worker-id", default="", help="unique id (default: host-pid)")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser(
        "migrate", help="apply database migrations", description="Apply database migrations."
    )
    migrate.set_defaults(func=cmd_migrate)

    createadmin = sub.add_parser(
        "createadmin",
        help="create an administrator",
        description=(
            "Create an administrator, and the organisation if it does not exist. The password "
            "is read from RAPPORT_ADMIN_PASSWORD or asked for."
        ),
    )
    createadmin.add_argument("--email", help="the administrator's email (asked if missing)")
    createadmin.add_argument("--name", default="", help="full name")
    createadmin.add_argument("--organisation", default="default", help="organisation slug")
    createadmin.add_argument("--organisation-name", default="", help="name for a new organisation")
    createadmin.set_defaults(func=cmd_createadmin)

    check = sub.add_parser(
        "check",
        help="check configuration, database and migrations",
        description=(
            "Run Django's system checks (deployment checks when debug is off), connect to the "
            "database and report unapplied migrations. Exits non-zero on any problem."
        ),
    )
    check.set_defaults(func=cmd_check)

    report = sub.add_parser(
        "report",
        help="write the monthly report (HTML and PDF) of a month",
        description=(
            "Measure one month of customer service and social media, record its "
            "recommendations and write the report as HTML and PDF; prints the two paths."
        ),
    )
    report.add_argument("--month", required=True, help="the month, YYYY-MM (e.g. 2026-10)")
    report.add_argument("--organisation", default="", help="organisation slug (if several)")
    report.add_argument("--out", default=".", help="directory to write the files to")
    report.set_defaults(func=cmd_report)

    triage = sub.add_parser(
        "triage",
        help="train, evaluate and run the triage models (see `rapport triage --help`)",
        add_help=False,
    )
    triage.add_argument("rest", nargs=argparse.REMAINDER)
    triage.set_defaults(func=cmd_triage)

    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
