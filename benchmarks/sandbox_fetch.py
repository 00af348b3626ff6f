"""Measure how fast a sandbox sync goes: the adapter's fetch alone, and end to end into the inbox.

    python benchmarks/sandbox_fetch.py --events 3000 --json

It builds a fresh SQLite database in a temporary directory, fills the sandbox
with `--events` customer posts that reach the brand (mostly mentions, some
replies in threads the brand answered, some direct messages), starts the
production web server (`rapport serve`: granian, `--workers` processes) on a
free loopback port, then measures, `--repeat` times each:

- fetch: `MastodonConnector.fetch` walking the brand's mention notifications
  from the first to the last, over real HTTP, in pages of 40 (Mastodon's
  maximum), with a fresh adapter each run;
- sync: what the worker does: `channels.services.sync_channel` on a sandbox
  channel of a fresh organisation, again and again until it is caught up, so
  every event is fetched, ingested (customers, conversations, triage) and its
  cursor committed. The time is split into HTTP (time to the server's
  response headers, summed over requests), the rest of the adapter's fetch
  (reading JSON, building events), ingest, and the rest of the sync.

Reported: fetch_events_per_s and sync_events_per_s (the median runs), the
split of the median sync run, and requests per run. The server's rate limit is
raised for the benchmark (it would otherwise cap one token at 300 requests per
5 minutes per worker process).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "benchmark-brand-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fill(events: int, seed: int) -> None:
    """Create the brand, 200 customers and `events` statuses that notify the brand."""
    from rapport.sandbox import services
    from rapport.sandbox.models import SandboxNotification, SandboxStatus

    rng = random.Random(seed)
    brand = services.create_account(username="emberandoak", is_brand=True, access_token=TOKEN)
    customers = [
        services.create_account(username=f"customer{n}", display_name=f"Customer {n}")
        for n in range(200)
    ]
    products = ["flat white", "oat cortado", "cardamom bun", "House Espresso beans", "cold brew"]
    moods = ["loved the", "my order of", "is there more", "the", "cold", "no"]
    through = SandboxStatus.mentions.through
    threads: list[SandboxStatus] = []
    batch = 1000
    made = 0
    while made < events:
        rows = []
        for _ in range(min(batch, events - made)):
            author = rng.choice(customers)
            text = (
                f"@emberandoak {rng.choice(moods)} {rng.choice(products)} #{rng.randint(1, 9999)}"
            )
            roll = rng.random()
            status = SandboxStatus(account=author, text=text)
            if roll < 0.05:
                status.visibility = "direct"
            elif roll < 0.15 and threads:
                parent = rng.choice(threads)
                status.in_reply_to = parent
                status.thread_root_id = parent.thread_root_id or parent.pk
            rows.append(status)
        created = SandboxStatus.objects.bulk_create(rows)
        through.objects.bulk_create(
            through(sandboxstatus_id=s.pk, sandboxaccount_id=brand.pk) for s in created
        )
        SandboxNotification.objects.bulk_create(
            SandboxNotification(account=brand, from_account=s.account, type="mention", status=s)
            for s in created
        )
        # Some top-level posts get a brand reply, so later posts can answer in a thread.
        for status in rng.sample(created, k=min(20, len(created))):
            if status.in_reply_to_id is None and status.visibility == "public":
                threads.append(
                    services.post_status(brand, text="Thanks, on it!", in_reply_to=status)
                )
        made += len(created)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="customer posts to fetch")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs")
    parser.add_argument("--workers", type=int, default=2, help="web server processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--fetch-only", action="store_true", help="skip the end-to-end sync")
    parser.add_argument("--profile", type=Path, help="write a cProfile of one sync run here")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="rapport-bench-sandbox-"))
    # The rate limit is a setting, not a variable: a small settings module raises it. Static
    # files are collected plainly: the benchmark serves none, and a vendored file's missing
    # source map must not stop the server from starting.
    (data_dir / "bench_settings.py").write_text(
        "from rapport.settings import *  # noqa: F403\n"
        "SANDBOX_RATE_LIMIT = 1_000_000\n"
        "STORAGES = {**STORAGES, 'staticfiles': {'BACKEND': "  # noqa: F405
        "'django.contrib.staticfiles.storage.StaticFilesStorage'}}  # noqa: F405\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DJANGO_"))},
        "RAPPORT_DATA_DIR": str(data_dir),
        "RAPPORT_SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnop",
        "RAPPORT_ENCRYPTION_KEY": "YmVuY2htYXJrLW9ubHktZmVybmV0LWtleS0wMTIzNDU=",
        "RAPPORT_SANDBOX_ENABLED": "1",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join([str(data_dir), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    sys.path.insert(0, str(data_dir))
    env.pop("DATABASE_URL", None)  # always a temporary SQLite file
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _fill(args.events, args.seed)
    fill_s = time.perf_counter() - started

    port = _free_port()
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 (open while the server runs)
    server = subprocess.Popen(
        [sys.executable, "-m", "rapport", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(args.workers)],
        env=env,
        stdout=log,
        stderr=log,
        cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/sandbox"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/instance", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        runs = [_run(base) for _ in range(args.repeat)]
        syncs = [_sync_run(base, n) for n in range(args.repeat)] if not args.fetch_only else []
        if args.profile:
            _profile_sync(base, args.profile)
    except BaseException:
        log.flush()
        print((data_dir / "server.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)

    rates = [run["events"] / run["wall_s"] for run in runs]
    result: dict[str, object] = {
        "benchmark": "sandbox_fetch",
        "events": runs[0]["events"],
        "fetch_events_per_s": round(statistics.median(rates), 1),
        "fetch_best_events_per_s": round(max(rates), 1),
        "fetch_requests_per_run": runs[0]["requests"],
        "fetch_runs_wall_s": [round(run["wall_s"], 3) for run in runs],
    }
    if syncs:
        syncs.sort(key=lambda run: run["events"] / run["wall_s"])
        median = syncs[len(syncs) // 2]
        result.update(
            {
                "sync_events": median["events"],
                "sync_events_per_s": round(median["events"] / median["wall_s"], 1),
                "sync_best_events_per_s": round(
                    max(run["events"] / run["wall_s"] for run in syncs), 1
                ),
                "sync_runs_wall_s": sorted(round(run["wall_s"], 3) for run in syncs),
                "sync_requests_per_run": median["requests"],
                "sync_calls_per_run": median["syncs"],
                "sync_split_s": {
                    "http": round(median["http_s"], 3),
                    "adapter": round(median["fetch_s"] - median["http_s"], 3),
                    "ingest": round(median["ingest_s"], 3),
                    "rest": round(median["wall_s"] - median["fetch_s"] - median["ingest_s"], 3),
                },
            }
        )
    result.update(
        {
            "server": f"rapport serve (granian, {args.workers} workers), SQLite",
            "fill_s": round(fill_s, 1),
            "cpus": os.cpu_count(),
        }
    )
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    return 0


def _run(base: str) -> dict[str, float]:
    from rapport.connectors.mastodon import MastodonConnector

    connector = MastodonConnector(base, TOKEN, timeout=30)
    calls = 0

    def count(response: object, *args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1

    connector.client.session.hooks["response"].append(count)
    started = time.perf_counter()
    cursor, events = None, 0
    while True:
        result = connector.fetch(cursor, limit=1000)
        events += len(result.events)
        cursor = result.next_cursor
        if not result.events:
            break
    return {"events": events, "wall_s": time.perf_counter() - started, "requests": calls}


class _Timers:
    """Time spent in HTTP, in the adapter's fetch and in ingest, and what was ingested."""

    def __init__(self) -> None:
        self.http_s = self.fetch_s = self.ingest_s = 0.0
        self.requests = self.created = self.fetched = 0

    def install(self) -> None:
        import requests

        from rapport.channels import services
        from rapport.connectors.mastodon import MastodonConnector

        timers = self
        send, fetch, ingest = requests.Session.send, MastodonConnector.fetch, services.ingest

        def timed_send(session: Any, request: Any, **kwargs: Any) -> Any:
            response = send(session, request, **kwargs)
            timers.http_s += response.elapsed.total_seconds()
            timers.requests += 1
            return response

        def timed_fetch(connector: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = fetch(connector, *args, **kwargs)
            finally:
                timers.fetch_s += time.perf_counter() - started
            timers.fetched += len(result.events)
            return result

        def timed_ingest(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = ingest(*args, **kwargs)
            finally:
                timers.ingest_s += time.perf_counter() - started
            timers.created += result.created
            return result

        self._restore = (send, fetch, ingest)
        requests.Session.send = timed_send  # type: ignore[method-assign,assignment]
        MastodonConnector.fetch = timed_fetch  # type: ignore[method-assign,assignment]
        services.ingest = timed_ingest

    def uninstall(self) -> None:
        import requests

        from rapport.channels import services
        from rapport.connectors.mastodon import MastodonConnector

        send, fetch, ingest = self._restore
        requests.Session.send = send  # type: ignore[method-assign]
        MastodonConnector.fetch = fetch  # type: ignore[method-assign]
        services.ingest = ingest


def _sandbox_channel(base: str, n: int) -> int:
    from rapport.accounts.models import Organisation
    from rapport.channels import services

    organisation = Organisation.objects.create(name=f"Bench {n}", slug=f"bench-{n}")
    created = services.create_channel(
        None,
        organisation=organisation,
        name="Social (sandbox)",
        kind="sandbox",
        config={"base_url": base},
        secrets={"access_token": TOKEN},
    )
    return created.channel.pk


def _sync_until_caught_up(channel_id: int, timers: _Timers) -> int:
    from django.utils import timezone

    from rapport.channels import services
    from rapport.channels.models import Channel

    syncs = 0
    while True:
        Channel.objects.filter(pk=channel_id).update(next_sync_at=timezone.now())
        fetched = timers.fetched
        outcome = services.sync_channel(channel_id)
        syncs += 1
        if outcome != "synced":
            raise SystemExit(
                f"sync {syncs} ended {outcome!r}: {Channel.objects.get(pk=channel_id).last_error}"
            )
        if timers.fetched == fetched:
            return syncs


def _sync_run(base: str, n: int) -> dict[str, float]:
    from rapport.inbox.models import Message

    channel_id = _sandbox_channel(base, n)
    timers = _Timers()
    timers.install()
    started = time.perf_counter()
    try:
        syncs = _sync_until_caught_up(channel_id, timers)
    finally:
        wall = time.perf_counter() - started
        timers.uninstall()
    stored = Message.objects.filter(channel_id=channel_id, direction="in").count()
    if stored != timers.created:
        raise SystemExit(f"ingest reported {timers.created} messages but {stored} are stored")
    return {
        "events": stored,
        "wall_s": wall,
        "http_s": timers.http_s,
        "fetch_s": timers.fetch_s,
        "ingest_s": timers.ingest_s,
        "requests": timers.requests,
        "syncs": syncs,
    }


def _profile_sync(base: str, path: Path) -> None:
    import cProfile

    channel_id = _sandbox_channel(base, 999)
    timers = _Timers()
    timers.install()
    profiler = cProfile.Profile()
    try:
        profiler.runcall(_sync_until_caught_up, channel_id, timers)
    finally:
        timers.uninstall()
    profiler.dump_stats(path)


if __name__ == "__main__":
    raise SystemExit(main())
