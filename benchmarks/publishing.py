"""Measure scheduled posts published per second through the worker's claim/publish code.

    python benchmarks/publishing.py --posts 10000 --json

It builds a fresh SQLite database in a temporary directory, creates `--accounts`
sandbox brand accounts with a Rapport channel each, and schedules `--posts`
posts spread across them (written in bulk: the scheduling services are not
what is timed). It starts the production web server (granian, as `rapport serve` runs it,
`--server-workers` processes) on a free loopback port, so the sandbox is
reached over real HTTP exactly as a Mastodon instance would be, then runs
`--workers` worker threads at once. Each thread loops like the periodic job:
take the due variant ids (the same list the other thread sees, shuffled) and
call `services.publish_variant` on each, so the two threads contend for every
post and only the conditional-UPDATE claim keeps them apart.

Counted on the sandbox side afterwards, by each post's unique text:
`doubled` (posts that appear more than once) and `lost` (posts that do not
appear). Counted on our side: `publish_calls_doubled`, idempotency keys that
reached the platform more than once (the sandbox would absorb such a repeat,
so this shows the claim working, not the platform's dedupe). `posts_per_s` is
posts over the wall time from the first claim to the last post published.

The sandbox's per-token rate limit (300 requests per 5 minutes) would cap a
run at a few hundred posts per account, so the server runs with a settings
module that lifts it; nothing else differs from production settings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETTINGS = """from rapport.settings import *  # noqa: F403

# The benchmark publishes thousands of posts per account in a minute or two.
SANDBOX_RATE_LIMIT = 10**9
RAPPORT_SANDBOX_ENABLED = True
# No collectstatic run: serve static names unhashed (the sandbox API needs none).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _setup(posts: int, accounts: int, base: str, seed: int) -> list[int]:
    """Create the organisation, the accounts and `posts` scheduled posts; return variant ids."""
    import uuid

    from django.utils import timezone

    from rapport.accounts import services as accounts_services
    from rapport.channels import services as channels
    from rapport.publishing.models import Post, PostStatus, PostVariant, VariantStatus
    from rapport.sandbox import services as sandbox

    org = accounts_services.create_organisation(name="Benchmark Coffee", slug="bench")
    author = accounts_services.create_user(
        None,
        email="mara@bench.test",
        role="marketer",
        full_name="Mara",
        password="benchmark-password-0123",
        organisation=org,
    )
    channel_ids = []
    for n in range(accounts):
        token = f"bench-token-{n}"
        sandbox.create_account(username=f"brand{n}", is_brand=True, access_token=token)
        channel = channels.create_channel(
            None,
            name=f"Brand {n}",
            kind="sandbox",
            config={"base_url": base},
            secrets={"access_token": token},
            organisation=org,
        ).channel
        channel_ids.append(channel.pk)
    rng = random.Random(seed)
    now = timezone.now()
    due = now - dt.timedelta(seconds=1)
    batch = 1000
    made = 0
    while made < posts:
        size = min(batch, posts - made)
        created = Post.objects.bulk_create(
            [
                Post(
                    organisation=org,
                    author=author,
                    title=f"Post {made + i}",
                    status=PostStatus.SCHEDULED,
                    scheduled_at=due,
                )
                for i in range(size)
            ]
        )
        PostVariant.objects.bulk_create(
            [
                PostVariant(
                    post=post,
                    channel_id=rng.choice(channel_ids),
                    text=f"Benchmark post {made + i}: lovely roast ({post.public_id.hex[:8]})",
                    status=VariantStatus.PENDING,
                    next_attempt_at=due,
                    idempotency_key=uuid.uuid4().hex,
                )
                for i, post in enumerate(created)
            ]
        )
        made += size
    return list(PostVariant.objects.values_list("pk", flat=True))


def _worker(name: str, results: Counter[str], lock: threading.Lock, seed: int) -> None:
    from django.db import close_old_connections

    from rapport.channels import registry
    from rapport.publishing import services

    rng = random.Random(seed)
    # Like a long-running worker, keep each account's HTTP connection between posts.
    connectors: dict[int, Any] = {}
    try:
        while True:
            due = services.due_variant_ids(limit=400)
            if not due:
                return
            rng.shuffle(due)
            for variant_id in due:
                outcome = services.publish_variant(variant_id, connectors=connectors)
                with lock:
                    results[outcome] += 1
    finally:
        for connector in connectors.values():
            registry.close(connector)
        close_old_connections()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000, help="posts to schedule and publish")
    parser.add_argument("--accounts", type=int, default=5, help="sandbox accounts posted to")
    parser.add_argument("--workers", type=int, default=2, help="concurrent publishing workers")
    parser.add_argument("--server-workers", type=int, default=2, help="web server processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="rapport-bench-publishing-"))
    (data_dir / "bench_publishing_settings.py").write_text(SETTINGS)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DJANGO_"))},
        "RAPPORT_DATA_DIR": str(data_dir),
        "RAPPORT_SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnop",
        "RAPPORT_ENCRYPTION_KEY": "YmVuY2htYXJrLW9ubHktZmVybmV0LWtleS0wMTIzNDU=",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bench_publishing_settings",
        "PYTHONPATH": os.pathsep.join([str(data_dir), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("DATABASE_URL", None)  # always a temporary SQLite file
    os.environ.update(env)
    sys.path.insert(0, str(data_dir))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/sandbox"
    started = time.perf_counter()
    _setup(args.posts, args.accounts, base, args.seed)
    setup_s = time.perf_counter() - started

    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 (open while the server runs)
    from rapport.cli import _granian_argv

    # `rapport serve` runs exactly this after collectstatic, which the sandbox API
    # does not need.
    server = subprocess.Popen(
        _granian_argv("127.0.0.1", port, workers=args.server_workers),
        env=env,
        stdout=log,
        stderr=log,
        cwd=ROOT,
    )
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
        result = _run(args)
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
        if os.environ.get("KEEP_BENCH") is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    result["setup_s"] = round(setup_s, 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return 0


def _run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db.models import Count

    from rapport.connectors.mastodon import MastodonConnector
    from rapport.publishing.models import PostVariant, VariantStatus
    from rapport.sandbox.models import SandboxStatus

    calls: Counter[str] = Counter()
    lock = threading.Lock()
    real_publish = MastodonConnector.publish

    platform_s = [0.0]

    def counted(self: MastodonConnector, text: str, **kwargs: Any) -> Any:
        with lock:
            calls[kwargs["idempotency_key"]] += 1
        began = time.perf_counter()
        try:
            return real_publish(self, text, **kwargs)
        finally:
            with lock:
                platform_s[0] += time.perf_counter() - began

    MastodonConnector.publish = counted  # type: ignore[method-assign]
    results: Counter[str] = Counter()
    threads = [
        threading.Thread(target=_worker, args=(f"w{n}", results, lock, args.seed + n))
        for n in range(args.workers)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    MastodonConnector.publish = real_publish  # type: ignore[method-assign]

    texts = dict(
        SandboxStatus.objects.filter(in_reply_to__isnull=True)
        .values("text")
        .annotate(n=Count("id"))
        .values_list("text", "n")
    )
    wanted = list(PostVariant.objects.values_list("text", flat=True))
    doubled = sum(1 for text in wanted if texts.get(text, 0) > 1)
    lost = sum(1 for text in wanted if texts.get(text, 0) == 0)
    published = PostVariant.objects.filter(status=VariantStatus.PUBLISHED).count()
    return {
        "benchmark": "publishing",
        "posts": args.posts,
        "accounts": args.accounts,
        "workers": args.workers,
        "posts_per_s": round(published / wall_s, 1),
        "wall_s": round(wall_s, 2),
        "published": published,
        "doubled": doubled,
        "lost": lost,
        "publish_calls": sum(calls.values()),
        "publish_calls_doubled": sum(1 for n in calls.values() if n > 1),
        # Seconds spent inside the platform call (HTTP to the sandbox and its own database
        # write), summed over the workers: the rest of their time is the claim and record.
        "platform_call_s": round(platform_s[0], 1),
        "outcomes": dict(results),
        "server": f"granian (as rapport serve runs it), {args.server_workers} workers, SQLite",
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    raise SystemExit(main())
