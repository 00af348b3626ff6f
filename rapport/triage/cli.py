"""The ``rapport triage`` command: train, eval, predict, train-intents.

``rapport triage ...`` (the project's console script) and
``python -m rapport.triage ...`` both call ``main``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from rapport.triage.labels import TASKS

DEFAULT_DATA = Path("../shared/data")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport triage",
        description="Train, score and run the message triage models.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser(
        "train",
        help="train every head from the public data and write the artefacts",
        description="Train every head (fixed seeds) and write the artefacts into the "
        "package's models folder.",
    )
    train.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="data folder (default: ../shared/data)"
    )
    train.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the artefacts (default: the package's models/)",
    )

    ev = sub.add_parser(
        "eval",
        help="score every head on the validation splits and print a table",
        description="Score every head with each benchmark's official metric on the "
        "validation split (and the test split where the data folder has it).",
    )
    ev.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="data folder (default: ../shared/data)"
    )
    ev.add_argument(
        "--split",
        choices=["val", "test", "both"],
        default="both",
        help="which split to score (default: both; absent splits are skipped)",
    )
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")

    pr = sub.add_parser(
        "predict",
        help="print one label per input line for a benchmark task",
        description="Read one text per line and print one label per line. Labels are "
        "the dataset's own (mapping.txt names; complaint/not_complaint; BANKING77 "
        "categories, after train-intents --name banking77).",
    )
    pr.add_argument("--task", required=True, choices=TASKS, help="which task's labels to print")
    pr.add_argument("--input", required=True, type=Path, help="file with one text per line")

    ti = sub.add_parser(
        "train-intents",
        help="learn the organisation's intents from a CSV of text,intent",
        description="Fit a custom intent model from a CSV (header text/utterance and "
        "intent/category, or two columns text,intent), save it and make it the "
        "default engine's intent model.",
    )
    ti.add_argument("--input", required=True, type=Path, help="CSV of labelled examples")
    ti.add_argument("--name", required=True, help="name of the intent set (e.g. banking77)")
    ti.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder to save into (default: the package's models/intents/)",
    )
    ti.add_argument(
        "--no-activate",
        action="store_true",
        help="save without making it the default engine's intent model",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``rapport triage`` with ``argv`` (default: the process arguments)."""
    args = _parser().parse_args(argv)
    if args.command == "train":
        return _train(args)
    if args.command == "eval":
        return _eval(args)
    if args.command == "predict":
        return _predict(args)
    return _train_intents(args)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _train(args: argparse.Namespace) -> int:
    from rapport.triage.engine import MODELS_DIR
    from rapport.triage.training import train_heads

    started = time.time()
    train_heads(args.data, args.out or MODELS_DIR, log=_log)
    _log(f"training done in {time.time() - started:.0f}s")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from rapport.triage.engine import default_engine
    from rapport.triage.evaluation import evaluate, format_table

    splits = ("val", "test") if args.split == "both" else (args.split,)
    rows = evaluate(default_engine(), args.data, splits, log=_log)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=1))
    else:
        print(format_table(rows))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from rapport.triage.engine import Engine, default_engine

    with open(args.input, encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
        texts = [line.rstrip("\n").rstrip("\r") for line in handle]
    engine: Engine = default_engine()
    if args.task == "banking77" and (
        engine.intents is None or engine.intents.meta.get("name") != "banking77"
    ):
        from rapport.triage.engine import INTENTS_DIR

        path = INTENTS_DIR / "banking77"
        if not path.with_suffix(".npz").exists():
            _log(
                "no banking77 intent model: run `rapport triage train-intents "
                "--input ../shared/data/banking77/train.csv --name banking77` first"
            )
            return 2
        engine = Engine(engine.heads, engine.language)
        engine.load_intents(path)
    for label in engine.predict(args.task, texts):
        print(label)
    return 0


def _train_intents(args: argparse.Namespace) -> int:
    from rapport.triage.engine import INTENTS_DIR, MODELS_DIR, Engine, save_active

    started = time.time()
    folder = args.out or INTENTS_DIR
    engine = Engine.load(MODELS_DIR)
    model = engine.train_intents_csv(args.input, args.name, save_to=folder / args.name)
    if not args.no_activate and args.out is None:
        save_active(args.name)
    _log(
        f"{len(model.outputs)} intents learnt from {model.meta['n_examples']} examples "
        f"in {time.time() - started:.0f}s; saved to {folder / args.name}.npz"
    )
    return 0
