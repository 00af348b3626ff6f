"""Measure how many events per second the Mastodon adapter fetches from the sandbox.

    python benchmarks/sandbox_fetch.py --events 3000 --json

It builds a fresh SQLite database in a temporary directory, fills the sandbox
with `--events` customer posts that reach the brand (mostly mentions, some
replies in threads the brand answered, some direct messages), starts the
production web server (`rapport serve`: granian, `--workers` processes) on a
free loopback port, and times `MastodonConnector.fetch` walking the brand's
mention notifications from the first to the last, over real HTTP, in pages of
40 (Mastodon's maximum), `--repeat` times with a fresh adapter each time.

Reported: events_per_s (the median run), best_events_per_s, requests per run
and the wall time of each run. The server answers under its normal rate limit
(300 requests per 5 minutes per token per worker process), which bounds how
many events one run can fetch; the default corpus stays well inside it.
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
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="rapport-bench-sandbox-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DJANGO_"))},
        "RAPPORT_DATA_DIR": str(data_dir),
        "RAPPORT_SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnop",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "rapport.settings",
    }
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
    except Exception:
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
    result = {
        "benchmark": "sandbox_fetch",
        "events": runs[0]["events"],
        "events_per_s": round(statistics.median(rates), 1),
        "best_events_per_s": round(max(rates), 1),
        "requests_per_run": runs[0]["requests"],
        "runs_wall_s": [round(run["wall_s"], 3) for run in runs],
        "server": f"rapport serve (granian, {args.workers} workers), SQLite",
        "fill_s": round(fill_s, 1),
        "cpus": os.cpu_count(),
    }
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


if __name__ == "__main__":
    raise SystemExit(main())
