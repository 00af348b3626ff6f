"""Play a sandbox scenario: start a run, step it, or keep it ticking in real time."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.sandbox import selectors, services
from rapport.sandbox.models import FaultKind, RunStatus
from rapport.sandbox.personas import ScenarioError


class Command(BaseCommand):
    help = (
        "Run the sandbox network's persona engine. Starts the scenario if no run is going "
        "(or with --new), then either plays --steps simulated steps at once or, with "
        "--follow, ticks in real time at the scenario's speed until Ctrl-C. Runs are "
        "reproducible: the same scenario, seed and steps give the same posts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", default="cafe", help="scenario name or .toml path")
        parser.add_argument("--seed", type=int, default=1, help="random seed of a new run")
        parser.add_argument("--speed", type=float, help="simulated seconds per real second")
        parser.add_argument("--new", action="store_true", help="start a new run")
        parser.add_argument("--reset", action="store_true", help="delete the whole sandbox first")
        parser.add_argument("--steps", type=int, default=0, help="simulated steps to play now")
        parser.add_argument(
            "--step-minutes", type=float, default=60.0, help="simulated minutes per step"
        )
        parser.add_argument("--follow", action="store_true", help="tick in real time until Ctrl-C")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between ticks")
        parser.add_argument("--token", help="give the brand account this access token")
        parser.add_argument("--pause", action="store_true", help="pause the running scenario")
        parser.add_argument("--fault", choices=FaultKind.values, help="make API requests fail")
        parser.add_argument("--fault-count", type=int, default=1, help="how many requests fail")
        parser.add_argument("--clear-faults", action="store_true", help="disarm forced failures")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            services.reset_sandbox()
            self.stdout.write("Sandbox reset.")
        if options["clear_faults"]:
            self.stdout.write(f"Cleared {services.clear_faults()} forced failures.")
        if options["fault"]:
            fault = services.force_faults(options["fault"], count=options["fault_count"])
            self.stdout.write(f"The next {fault.remaining} API requests fail with {fault.kind}.")
        run = selectors.current_run()
        if options["pause"]:
            if run is None:
                raise CommandError("No scenario run to pause.")
            services.set_run_status(run, RunStatus.PAUSED)
            self.stdout.write(f"Paused {run}.")
            return
        try:
            if options["new"] or run is None or run.status != RunStatus.RUNNING:
                if run is not None and run.status == RunStatus.PAUSED and not options["new"]:
                    run = services.set_run_status(run, RunStatus.RUNNING)
                else:
                    run = services.start_run(
                        scenario=options["scenario"], seed=options["seed"], speed=options["speed"]
                    )
                self.stdout.write(f"Playing {run}; brand @{run.brand.username}.")
        except ScenarioError as exc:
            raise CommandError(str(exc)) from None
        if options["token"]:
            services.issue_token(run.brand, options["token"])
            self.stdout.write(f"@{run.brand.username} now answers to the given access token.")
        for _ in range(options["steps"]):
            report = services.advance(run, sim_seconds=options["step_minutes"] * 60)
            self._report(report)
        if options["follow"]:
            self.stdout.write(f"Ticking every {options['interval']}s; Ctrl-C stops.")
            try:
                while True:
                    time.sleep(options["interval"])
                    tick = services.tick()
                    if tick is not None:
                        self._report(tick)
            except KeyboardInterrupt:
                self.stdout.write("Stopped.")

    def _report(self, report: services.StepReport) -> None:
        self.stdout.write(
            f"step {report.step}: simulated {report.sim_from:%a %H:%M}–{report.sim_to:%H:%M}, "
            f"{len(report.posts)} posts, {len(report.reactions)} reactions, "
            f"{len(report.chases)} chasers, {len(report.escalations)} escalations"
        )
