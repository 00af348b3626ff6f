"""Measure triage throughput (messages per second on one core) and peak memory.

Usage: ``python benchmarks/triage.py [--json] [--n 10000] [--runs 5] [--data DIR]``
       ``python benchmarks/triage.py --sanity [--json] [--seeds 3] [--hours 48]``

Pins the process to one core and one BLAS thread, loads the default engine, and
times ``classify_batch`` over N tweets (TweetEval validation texts, repeated; a
built-in sample when the data folder is absent), with every head on (the
active intent model too, if one is trained). Prints the median of several runs.

``--sanity`` instead scores the composite rules (kind, persona) on the demo's own
texts: the posts the sandbox persona engine plans for the café scenario (its
intended kind and persona are the ground truth; a troll's post counts as right
when read as abuse or complaint) and the inbox demo's seed messages (their
intended kind, written next to them in ``DEMO_KINDS``). It is a sanity set, not a
benchmark: the persona engine writes from templates, and a persona is a property
of the author, so a polite question from an "unhappy" author cannot be told apart.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

SAMPLE = [
    "@user my card still hasn't arrived and nobody answers the phone. third week now!!",
    "Loving the new store layout, staff were super helpful today :) #happy",
    "how do I change the delivery address on my order",
    "worst airline ever, lost my bag AGAIN and refuse to refund me. talking to my lawyer",
    "you are all idiots and your product is trash",
    "Here's my new jacket, wore it all weekend pic.twitter.com/abc123",
    "Win a FREE phone!!! http://spam.example http://x.example #win #free #giveaway #phone",
    "is the app down for anyone else?",
]


def load_texts(data: Path, n: int) -> list[str]:
    """Return ``n`` tweets, repeating the validation texts as needed."""
    texts: list[str] = []
    for task in ("sentiment", "offensive", "hate", "irony", "emotion"):
        path = data / "tweeteval" / task / "val_text.txt"
        if path.exists():
            texts.extend(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    if not texts:
        texts = SAMPLE
    return [texts[i % len(texts)] for i in range(n)]


# Intended kind of each inbox demo seed (rapport.inbox.demo), in order: SOCIAL_SEEDS
# then FORM_SEEDS ("|" separates acceptable kinds).
DEMO_KINDS = (
    "complaint",
    "question",
    "question",
    "praise",
    "complaint",
    "ugc",
    "complaint",
    "question",
    "complaint",
    "question",
    "praise",
    "complaint",
    "question",
    "abuse|complaint",
    "question",
    "praise",
    "complaint",
    "question",
    "question",
    "complaint",
)
SANDBOX_PERSONAS = {
    "troll": "troll",
    "angry": "angry_customer",
    "misguided": "misguided_customer",
    "unhappy": "unhappy_customer",
    "complimentary": "complimentary_customer",
    "advocate": "brand_advocate",
}


def sandbox_posts(seeds: int, hours: int) -> list[tuple[str, str, str]]:
    """Return (text, intended kind, intended persona) of the café scenario's planned posts."""
    import datetime as dt

    from rapport.sandbox.personas import PersonaEngine, load_scenario

    scenario = load_scenario("cafe")
    rows = []
    for seed in range(seeds):
        planner = PersonaEngine(scenario, seed)
        cast = planner.cast()
        for step in range(hours):
            start = scenario.start + dt.timedelta(hours=step)
            for post in planner.plan(step, start, start + dt.timedelta(hours=1), cast):
                persona = SANDBOX_PERSONAS[cast[post.author].persona]
                kind = "abuse|complaint" if persona == "troll" else post.kind
                rows.append((post.text, kind, persona))
    return rows


def demo_seeds() -> list[tuple[str, str]]:
    """Return the inbox demo's seed messages (a form: subject and body) with their kinds.

    The seeds live in a Django module, so this sets Django up (the test settings:
    the app registry only, no database is touched).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from rapport.inbox.demo import FORM_SEEDS, SOCIAL_SEEDS

    texts = [seed.replace("{n}", "1042") for seed in SOCIAL_SEEDS]
    texts += [f"{subject}\n\n{body.replace('{n}', '1042')}" for subject, body in FORM_SEEDS]
    return list(zip(texts, DEMO_KINDS, strict=True))


def sanity(args: argparse.Namespace) -> dict[str, object]:
    """Score kind and persona on the sandbox plans and the demo seeds."""
    from rapport.triage import default_engine

    engine = default_engine()
    posts = sandbox_posts(args.seeds, args.hours)
    found = engine.classify_batch([text for text, _, _ in posts])
    kind_ok = [r.kind in kind.split("|") for (_, kind, _), r in zip(posts, found, strict=True)]
    persona_ok = [r.persona == persona for (_, _, persona), r in zip(posts, found, strict=True)]
    by_persona = {
        name: round(
            sum(ok for ok, (_, _, p) in zip(persona_ok, posts, strict=True) if p == name)
            / max(1, sum(1 for _, _, p in posts if p == name)),
            3,
        )
        for name in SANDBOX_PERSONAS.values()
    }
    seeds = demo_seeds()
    seed_found = engine.classify_batch([text for text, _ in seeds])
    misread = [
        {"text": text[:60], "intended": kind, "read": r.kind}
        for (text, kind), r in zip(seeds, seed_found, strict=True)
        if r.kind not in kind.split("|")
    ]
    return {
        "sandbox_posts": len(posts),
        "sandbox_kind_accuracy": round(sum(kind_ok) / len(posts), 3),
        "sandbox_persona_accuracy": round(sum(persona_ok) / len(posts), 3),
        "sandbox_persona_recall": by_persona,
        "demo_seeds": len(seeds),
        "demo_kind_correct": len(seeds) - len(misread),
        "demo_misread": misread,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--n", type=int, default=10_000, help="messages per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sanity", action="store_true", help="score kind/persona on demo texts")
    parser.add_argument("--seeds", type=int, default=3, help="sandbox seeds (--sanity)")
    parser.add_argument("--hours", type=int, default=48, help="simulated hours per seed (--sanity)")
    args = parser.parse_args(argv)
    if args.sanity:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        report = sanity(args)
        print(json.dumps(report) if args.json else json.dumps(report, indent=1))
        return 0
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from rapport.triage import default_engine

    started = time.perf_counter()
    engine = default_engine()
    load_s = time.perf_counter() - started
    texts = load_texts(args.data, args.n)
    engine.classify_batch(texts[:2000])  # warm-up: lazy tables, fallback language model
    timings = []
    cpu_timings = []
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        engine.classify_batch(texts)
        timings.append(time.perf_counter() - t0)
        cpu_timings.append(time.process_time() - c0)
    median = statistics.median(timings)
    cpu_median = statistics.median(cpu_timings)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "msgs_per_s": round(len(texts) / median),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        # CPU time of this (single-threaded, pinned) process: the wall-clock figure on
        # a core nothing else competes for; wall time includes waiting for a busy core.
        "msgs_per_cpu_s": round(len(texts) / cpu_median),
        "median_s": round(median, 4),
        "runs_s": [round(t, 4) for t in timings],
        "n": len(texts),
        "load_s": round(load_s, 3),
        "intents": engine.intents.meta.get("name") if engine.intents else None,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
