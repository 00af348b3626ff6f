"""Measure triage throughput (messages per second on one core) and peak memory.

Usage: ``python benchmarks/triage.py [--json] [--n 10000] [--runs 5] [--data DIR]``

Pins the process to one core and one BLAS thread, loads the default engine, and
times ``classify_batch`` over N tweets (TweetEval validation texts, repeated; a
built-in sample when the data folder is absent), with every head on (the
active intent model too, if one is trained). Prints the median of several runs.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--n", type=int, default=10_000, help="messages per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
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
