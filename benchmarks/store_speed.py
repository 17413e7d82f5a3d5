"""How fast the store saves a big run and answers the dashboard's questions, SQLite vs PostgreSQL.

    python benchmarks/store_speed.py [--findings 10000] [--runs 3] [--postgres URL]

For each backend, each repetition on an empty database (a new SQLite file; a new schema on the
PostgreSQL server), times:
1. saving a first run of N findings (all new: N finding rows, N sightings, about 1.2 N events);
2. saving a second run a day later: the same findings moved down a few lines, 1% of them gone
   and 1% new (N updates, N sightings, 2% events);
3. loading the overview (every project's open findings by status, severity, KEV and deadline,
   the oldest open one, and a trend of runs);
4. listing the project's tracked findings with their patch windows (N findings decoded);
5. the project's run history with counts.
Prints medians of --runs, wall-clock seconds and this process's CPU seconds.

Without --postgres, a throwaway PostgreSQL cluster is started from Debian's postgresql
(/usr/lib/postgresql/*/bin) with its default settings (fsync on, as a team server would run),
and removed afterwards. SQLite runs with its defaults too (rollback journal, synchronous=FULL).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from firstpatch.model import (
    AdvisoryId,
    Component,
    Confidence,
    Ecosystem,
    EntryPoint,
    Evidence,
    Exploitation,
    Finding,
    FindingKind,
    InputKind,
    Location,
    OracleEvent,
    ProofStatus,
    RuleId,
    Run,
    RunId,
    Severity,
    Step,
    StepKind,
    fingerprint,
)
from firstpatch.store import SqlStore, sqlite_url

TARGET = "/srv/bench/monorepo"
SEVERITIES = [Severity.CRITICAL, Severity.HIGH, Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM, Severity.LOW]


def make_finding(number: int, shift: int = 0) -> Finding:
    """Finding `number`: four in five code findings with a three-step trace (one in ten proved),
    the rest dependency findings (one in four in KEV)."""
    severity = SEVERITIES[number % len(SEVERITIES)]
    path = f"pkg{number % 97}/module{number % 389}.py"
    line = 20 + number % 400 + shift
    if number % 5 == 4:
        name = f"lib{number}"
        component = Component(
            f"pkg:pypi/{name}@1.0", name, "1.0", Ecosystem.PYPI, (Location("requirements.txt", 3),)
        )
        return Finding(
            kind=FindingKind.DEPENDENCY,
            rule_id=RuleId(f"PYSEC-2026-{number}"),
            title=f"{name} lets a crafted request run code",
            severity=severity,
            confidence=Confidence.HIGH,
            location=Location("requirements.txt", 3 + number % 50),
            fingerprint=fingerprint(f"PYSEC-2026-{number}", "requirements.txt", name),
            component=component,
            advisory_ids=(AdvisoryId(f"PYSEC-2026-{number}"),),
            aliases=(f"CVE-2026-{10000 + number}",),
            fix_version="1.1",
            exploitation=Exploitation(in_kev=number % 4 == 0, epss=0.2),
            risk=5.0 + number % 5,
        )
    sink = f"cursor.execute(query_{number})"
    evidence = None
    if number % 10 == 0:
        evidence = Evidence(
            ProofStatus.CONFIRMED,
            "the canary reached the query",
            OracleEvent("sql-structure", f"SELECT * FROM t WHERE id = 1 OR 1=1 -- {number}"),  # noqa: S608 - data
            "import requests\nprint(requests.get('http://127.0.0.1:5000/x?id=1%20OR%201=1').text)\n",
            "curl 'http://127.0.0.1:5000/x?id=1%20OR%201=1'",
        )
    return Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId("py/sql-injection"),
        title="SQL statement built from untrusted input",
        severity=severity,
        confidence=Confidence.HIGH,
        location=Location(path, line, 9, line, 9 + len(sink), sink),
        fingerprint=fingerprint("py/sql-injection", path, sink, "request.args"),
        cwe=89,
        message="request data reaches a SQL statement without parameters",
        trace=(
            Step(
                StepKind.SOURCE,
                Location(path, line - 3, 5, line - 3, 30, "request.args['id']"),
                "query parameter",
            ),
            Step(
                StepKind.PROPAGATION,
                Location(path, line - 1, 5, line - 1, 40, f"query_{number} = '...' + id"),
                "concatenation",
            ),
            Step(StepKind.SINK, Location(path, line, 9, line, 9 + len(sink), sink), "SQL execution"),
        ),
        entry_point=EntryPoint(
            "flask",
            f"app.view_{number}",
            Location(path, line - 5),
            f"/v{number}",
            ("GET",),
            InputKind.QUERY,
            "id",
        ),
        evidence=evidence,
        risk=float(number % 10),
    )


def make_runs(count: int) -> tuple[Run, Run]:
    started = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    first = [make_finding(n) for n in range(count)]
    gone = count // 100
    # A day later: the code moved down three lines, the first 1% were fixed, 1% more appeared.
    second = [make_finding(n, shift=3) for n in range(gone, count + gone)]
    stages = ("inventory", "advisories", "analysis", "prove", "rank")
    return (
        Run(
            RunId(uuid.uuid4().hex),
            TARGET,
            started,
            started + timedelta(minutes=9),
            "bench",
            tuple(first),
            stages=stages,
        ),
        Run(
            RunId(uuid.uuid4().hex),
            TARGET,
            started + timedelta(days=1),
            started + timedelta(days=1, minutes=9),
            "bench",
            tuple(second),
            stages=stages,
        ),
    )


@dataclasses.dataclass
class Timings:
    walls: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    cpus: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    @contextmanager
    def measure(self, step: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.walls.setdefault(step, []).append(time.perf_counter() - wall)
        self.cpus.setdefault(step, []).append(time.process_time() - cpu)


def bench_backend(fresh_url: Callable[[], str], runs: tuple[Run, Run], repetitions: int) -> Timings:
    timings = Timings()
    now = datetime(2026, 11, 20, tzinfo=UTC)
    for _ in range(repetitions):
        with SqlStore(fresh_url()) as store:
            with timings.measure("save first run"):
                store.save_run(runs[0], now=now)
            with timings.measure("save second run"):
                store.save_run(runs[1], now=now)
            with timings.measure("overview"):
                overview = store.overview(now=now)
            with timings.measure("tracked findings"):
                tracked = store.tracked_findings(TARGET, now=now)
            with timings.measure("run history"):
                history = store.run_summaries(TARGET)
        # What was measured must also be right: a fast wrong answer is no result.
        expected = (len(runs[0].findings) + len(runs[0].findings) // 100, len(runs[0].findings) // 100)
        if overview.overdue == 0 or (len(tracked), history[0].fixed) != expected:
            raise SystemExit(
                f"wrong answer: {overview.overdue} overdue, {len(tracked)} tracked, {history[0].fixed} fixed"
            )
    return timings


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway cluster with default settings, on a free loopback port."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql), or pass --postgres URL")
    bindir = found[-1].parent
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="firstpatch-bench-pg-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    if as_user:
        shutil.chown(home, "postgres")
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(home / "data"), "--auth=trust", "-U", "postgres")
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1"
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(home / "data"),
        "-o",
        options,
        "-l",
        str(home / "log"),
        "-w",
        "start",
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(home / "data"), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(home, ignore_errors=True)


def fresh_schema(server: str) -> Callable[[], str]:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")

    def make() -> str:
        name = f"bench_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(sa.schema.CreateSchema(name))
        return (
            sa.make_url(server)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(False)
        )

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", help="a server URL to use instead of a throwaway cluster")
    options = parser.parse_args()
    runs = make_runs(options.findings)
    results: dict[str, Timings] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["SQLite"] = bench_backend(
            lambda: sqlite_url(Path(folder) / f"{uuid.uuid4().hex}.db"), runs, options.runs
        )
    if options.postgres:
        results["PostgreSQL"] = bench_backend(fresh_schema(options.postgres), runs, options.runs)
    else:
        with postgres_cluster() as server:
            results["PostgreSQL"] = bench_backend(fresh_schema(server), runs, options.runs)
    print(f"{options.findings} findings, median of {options.runs}; wall s (this process's CPU s)")
    names = list(results)
    print("| step | " + " | ".join(names) + " | PostgreSQL / SQLite |")
    print("|---|" + "---|" * (len(names) + 1))
    for step in results["SQLite"].walls:
        walls = [statistics.median(results[n].walls[step]) for n in names]
        cpus = [statistics.median(results[n].cpus[step]) for n in names]
        cells = [f"{wall:.2f} ({cpu:.2f})" for wall, cpu in zip(walls, cpus, strict=True)]
        ratio = statistics.median(results["PostgreSQL"].walls[step]) / statistics.median(
            results["SQLite"].walls[step]
        )
        print(f"| {step} | " + " | ".join(cells) + f" | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
