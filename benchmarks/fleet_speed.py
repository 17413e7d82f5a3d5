"""How a fleet scales on Ray, and what a fleet costs over `firstpatch scan`.

    python benchmarks/fleet_speed.py [--copies 16] [--runs 3] [--prove] [--skip-cluster]
                                     [--overhead-only] [--overhead-on demo|rich|werkzeug|...]

1. Throughput: N copies of the demo and five real projects (the installed sources of click, flask,
   jinja2, rich and werkzeug, copied into a temporary folder) as one fleet on a local Ray instance
   with 1 worker, then with 2. Median wall-clock of --runs fleets, each into a fresh SQLite store
   (a store that has seen a revision would skip it), after a warm-up fleet that has every worker
   import the pipeline once.
2. The same fleet on a two-node cluster started on this machine (`ray start --head` and
   `ray start --address`, one CPU each): its findings, target by target, must equal the local run's.
3. Overhead, once Ray is up and its workers are warm: a fleet of one demo against what
   `firstpatch scan` does for it (the pipeline, then the store), both in this process.
   Then the same two as commands from a shell: `firstpatch scan` against `firstpatch fleet scan
   --ray-address` joining the running cluster, which pays for a new driver and cold workers.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from firstpatch.fleet import FleetSettings, FleetTarget, TargetKind, TaskState, ray_cluster, run_fleet
from firstpatch.model import RunId
from firstpatch.scan import ScanOptions, scan
from firstpatch.store import open_store, sqlite_url

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "vulnerable-flask"
REAL_PROJECTS = ("rich", "werkzeug", "jinja2", "click", "flask")
Findings = dict[str, list[tuple[str, str, int, str]]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=16, help="copies of the demo in the fleet")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("--prove", action="store_true", help="prove and patch, as `firstpatch scan` does")
    parser.add_argument("--skip-cluster", action="store_true", help="leave out the two-node cluster")
    parser.add_argument("--overhead-only", action="store_true", help="measure the overhead alone")
    parser.add_argument(
        "--overhead-on",
        default="demo",
        choices=["demo", *REAL_PROJECTS],
        help="the target the overhead is measured on (default: a demo copy)",
    )
    arguments = parser.parse_args()
    settings = FleetSettings(prove=arguments.prove, timeout=3600)

    with tempfile.TemporaryDirectory(prefix="firstpatch-fleet-bench-") as scratch:
        base = Path(scratch)
        targets = corpus(base / "corpus", arguments.copies)
        print(f"fleet: {arguments.copies} demo copies + {', '.join(REAL_PROJECTS)}; prove={arguments.prove}")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        fresh = counter(base / "stores")

        if arguments.overhead_only:
            with ray_cluster(workers=2):
                warm_up(targets, settings, fresh, 2)
                overhead(_named(targets, arguments.overhead_on), settings, fresh, arguments.runs)
            return
        results: dict[int, tuple[float, Findings]] = {}
        for workers in (1, 2):
            with ray_cluster(workers=workers):
                warm_up(targets, settings, fresh, workers)
                seconds, busy, findings = timed_fleet(targets, settings, fresh, arguments.runs)
                results[workers] = (seconds, findings)
                print(
                    f"local Ray, {workers} worker(s): {seconds:.2f} s (median of {arguments.runs}); "
                    f"tasks ran {busy:.2f} s in all, {busy / (workers * seconds):.0%} of the workers' time"
                )
                if workers == 2:
                    overhead(_named(targets, arguments.overhead_on), settings, fresh, arguments.runs)
        speedup = results[1][0] / results[2][0]
        print(f"speed-up 2 workers / 1 worker: {speedup:.2f}x")
        if results[1][1] != results[2][1]:
            raise SystemExit("1 and 2 workers found different things")

        if not arguments.skip_cluster:
            with two_node_cluster() as address, ray_cluster(address) as cluster:
                print(f"cluster: {cluster.description}")
                warm_up(targets, settings, fresh, 2)
                seconds, _, findings = timed_fleet(targets, settings, fresh, arguments.runs)
                same = findings == results[2][1]
                print(f"two-node cluster: {seconds:.2f} s; findings identical to the local run: {same}")
                if not same:
                    raise SystemExit("the two-node cluster found different things")
                commands(targets[0], address, base, arguments.runs, arguments.prove)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


def corpus(folder: Path, copies: int) -> list[FleetTarget]:
    """The real projects, largest first, then the demo copies (the first target is a demo copy
    too: the warm-up and the overhead use it)."""
    demos = []
    for number in range(copies):
        copy = folder / f"demo-{number:02d}"
        shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns("__pycache__"))
        demos.append(FleetTarget(TargetKind.PATH, str(copy)))
    targets = []
    for name in REAL_PROJECTS:  # largest first, as an operator would order a list: no long tail
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit(f"{name} is not installed: pip install -e '.[test]'")
        copy = folder / name
        source = spec.submodule_search_locations[0]
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        targets.append(FleetTarget(TargetKind.PATH, str(copy)))
    return [demos[0], *targets, *demos[1:]]


def _named(targets: Sequence[FleetTarget], name: str) -> FleetTarget:
    """The corpus target called `name` ("demo": the first demo copy)."""
    return targets[0] if name == "demo" else next(t for t in targets if Path(t.location).name == name)


def counter(folder: Path) -> Callable[[], str]:
    """A new, empty SQLite store at each call."""
    folder.mkdir()
    numbers = iter(range(1_000_000))
    return lambda: sqlite_url(folder / f"store-{next(numbers)}.db")


def warm_up(
    targets: Sequence[FleetTarget], settings: FleetSettings, fresh: Callable[[], str], workers: int
) -> None:
    """One small fleet, so that every worker has imported the pipeline before the clock runs."""
    record = run_fleet(targets[-workers:], settings, fresh(), source="warm-up")
    failed = [task for task in record.tasks if task.state is not TaskState.DONE]
    if failed:
        raise SystemExit(f"warm-up failed: {failed}")


def timed_fleet(
    targets: Sequence[FleetTarget], settings: FleetSettings, fresh: Callable[[], str], runs: int
) -> tuple[float, float, Findings]:
    """Median wall-clock, median seconds the tasks ran (added up), and what the last run found."""
    walls, busy = [], []
    url = ""
    for _ in range(runs):
        url = fresh()
        started = time.perf_counter()
        record = run_fleet(targets, settings, url, source="benchmark")
        walls.append(time.perf_counter() - started)
        failed = [(task.target, task.reason) for task in record.tasks if task.state is not TaskState.DONE]
        if failed:
            raise SystemExit(f"targets failed: {failed}")
        busy.append(
            sum((t.finished - t.started).total_seconds() for t in record.tasks if t.finished and t.started)
        )
    return statistics.median(walls), statistics.median(busy), findings_in(url, targets)


def findings_in(url: str, targets: Sequence[FleetTarget]) -> Findings:
    store = open_store(url)
    try:
        found = {}
        for target in targets:
            (run,) = store.runs(target.name)
            found[target.name] = sorted(
                (f.rule_id, f.location.path, f.location.line, f.fingerprint) for f in run.findings
            )
        return found
    finally:
        store.close()


def overhead(target: FleetTarget, settings: FleetSettings, fresh: Callable[[], str], runs: int) -> None:
    """Both sides scan a copy of the target they have not seen into a store that exists already,
    as a team server's does: neither pays for creating tables, and the fleet cannot skip.

    Besides the wall-clock of each side, what each adds around the scan itself (wall-clock less
    the run's own `finished - started`): that figure does not move with the scan's own variance,
    which on a shared machine is larger than the overhead."""
    options = ScanOptions(prove=settings.prove, patch=settings.patch and settings.prove)
    copies = Path(tempfile.mkdtemp(prefix="overhead-", dir=Path(target.location).parent))
    numbers = iter(range(1_000_000))

    def new_copy() -> str:
        copy = copies / f"copy-{next(numbers)}"
        shutil.copytree(target.location, copy)
        return str(copy)

    alone_url, fleet_url = fresh(), fresh()
    open_store(alone_url).close()
    run_fleet([FleetTarget(TargetKind.PATH, new_copy())], settings, fleet_url, source="tables")

    def single() -> tuple[float, float]:
        path = new_copy()
        started = time.perf_counter()
        store = open_store(alone_url)
        try:
            run = scan(path, options).run
            store.save_run(run)
        finally:
            store.close()
        wall = time.perf_counter() - started
        return wall, wall - (run.finished - run.started).total_seconds()

    def fleet_of_one() -> tuple[float, float]:
        one = FleetTarget(TargetKind.PATH, new_copy())
        started = time.perf_counter()
        record = run_fleet([one], settings, fleet_url, source="one")
        wall = time.perf_counter() - started
        store = open_store(fleet_url)
        try:
            run = store.load_run(RunId(record.tasks[0].run_id or ""))
        finally:
            store.close()
        return wall, wall - (run.finished - run.started).total_seconds()

    for _ in range(2):  # both sides warm: this process imports the pipeline, Ray exports the task
        single()
        fleet_of_one()
    # Interleaved, so that the machine's load drifts over both sides alike.
    alone, fleet = [], []
    for _ in range(runs):
        alone.append(single())
        fleet.append(fleet_of_one())
    alone_wall, fleet_wall = (statistics.median(wall for wall, _ in side) for side in (alone, fleet))
    alone_extra, fleet_extra = (statistics.median(extra for _, extra in side) for side in (alone, fleet))
    print(
        f"overhead, in process: scan + store {alone_wall:.2f} s, fleet of one {fleet_wall:.2f} s, "
        f"ratio {fleet_wall / alone_wall:.2f}x; around the scan itself: {alone_extra:.3f} s "
        f"against {fleet_extra:.3f} s"
    )


def commands(target: FleetTarget, address: str, base: Path, runs: int, prove: bool) -> None:
    listed = base / "one.txt"
    listed.write_text(f"{target.location}\n")
    proof = [] if prove else ["--no-prove"]
    scan_alone = [sys.executable, "-m", "firstpatch", "scan", target.location, *proof, "--format", "json"]
    fleet_of_one = [sys.executable, "-m", "firstpatch", "fleet", "scan", str(listed)]
    fleet_of_one += ["--ray-address", address, *(["--prove"] if prove else [])]

    def run(command: list[str], db: str) -> float:
        started = time.perf_counter()
        subprocess.run([*command, "--db", db], check=False, capture_output=True)
        return time.perf_counter() - started

    stores = base / "command-stores"
    stores.mkdir(exist_ok=True)
    alone = statistics.median(run(scan_alone, sqlite_url(stores / f"scan-{n}.db")) for n in range(runs))
    fleet = statistics.median(run(fleet_of_one, sqlite_url(stores / f"fleet-{n}.db")) for n in range(runs))
    print(
        f"overhead, as commands: firstpatch scan {alone:.2f} s, firstpatch fleet scan joining the "
        f"cluster {fleet:.2f} s, ratio {fleet / alone:.2f}x"
    )


@contextmanager
def two_node_cluster() -> Iterator[str]:
    """A head and a second node started with `ray start` on this machine, one CPU each; stopped by
    their process groups (never `ray stop`, which stops every Ray on the machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "RAY_AUTH_MODE": "token"}
    ray = str(Path(sys.executable).parent / "ray")
    head = [ray, "start", "--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false"]
    node = [ray, "start", f"--address=127.0.0.1:{port}", "--num-cpus=1"]
    groups = []
    try:
        for command in (head, node):
            # Each `ray start` leads a session of its own; the daemons it leaves stay in its group.
            started = subprocess.Popen(
                [*command, "--disable-usage-stats"],
                env=environment,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            groups.append(started.pid)
            if started.wait(timeout=300) != 0:
                raise SystemExit(f"{' '.join(command)} failed")
        os.environ["RAY_AUTH_MODE"] = "token"
        yield f"127.0.0.1:{port}"
    finally:
        for group in groups:
            _signal_group(group, signal.SIGTERM)
        time.sleep(5)
        for group in groups:
            _signal_group(group, signal.SIGKILL)
        # `ray start` left the address for a plain ray.init() to join; the cluster is gone.
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        if current.is_file() and current.read_text().strip().endswith(f":{port}"):
            current.unlink()


def _signal_group(group: int, number: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, number)


if __name__ == "__main__":
    main()
