"""What the known-vulnerability stage adds to a scan: with no advisory store, and reachability's
reading of the project (parsed again, or taken from the program the analysis built).

    .venv/bin/python benchmarks/advisories_scan_cost.py PROJECT [--runs 3]

Prints CPU seconds (median of --runs) for:
1. importing `firstpatch.advisories.assess` once SQLAlchemy and `firstpatch.store` are loaded
   (a scan that records its run loads them anyway) and on its own (a `--no-store` scan);
2. `known_vulnerabilities` with no store (the snapshot shipped with firstpatch answers), for no
   components and for the project's own;
3. reachability's view of the project: `ProjectUses.of` (parses every module) against
   `ProjectUses.of_program` on a program built the way the analysis builds it, and the cost of
   naming every call, which happens only when an advisory names a function.
Imports are timed in fresh interpreters.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from firstpatch import inventory
from firstpatch.advisories.assess import known_vulnerabilities
from firstpatch.advisories.reachability import ProjectUses, project_program
from firstpatch.target import Target

NO_STORE = "sqlite:////nonexistent/firstpatch-benchmark/none.db"


def _cpu(action: Callable[[], object], runs: int) -> float:
    spent = []
    for _ in range(runs):
        start = time.process_time()
        action()
        spent.append(time.process_time() - start)
    return statistics.median(spent)


def _import_cost(before: str, runs: int) -> float:
    code = (
        "import time\n"
        f"{before}\n"
        "start = time.process_time()\n"
        "import firstpatch.advisories.assess\n"
        "print(time.process_time() - start)\n"
    )
    return statistics.median(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    root, runs = options.project, options.runs

    after_store = _import_cost("import sqlalchemy, firstpatch.store", runs)
    alone = _import_cost("", runs)
    print(f"import firstpatch.advisories.assess: {after_store:.2f} s after the store, {alone:.2f} s alone")

    components, _ = inventory.collect(Target.open(root))
    for label, pins in (("no components", []), (f"{len(components)} components", components)):
        spent = _cpu(lambda pins=pins: known_vulnerabilities(pins, None, NO_STORE), runs)  # type: ignore[misc]
        print(f"known_vulnerabilities, no store, {label}, no reachability: {spent:.3f} s")

    program = project_program(str(root))  # built as the analysis builds it
    parsed = _cpu(lambda: ProjectUses.of(str(root)), runs)
    print(f"reachability parsing the project (ProjectUses.of): {parsed:.2f} s")
    print(
        "reachability on the analysis's program (ProjectUses.of_program): "
        f"{_cpu(lambda: ProjectUses.of_program(program), runs):.3f} s"
    )
    print(
        "naming every call, when an advisory names a function: "
        f"{_cpu(lambda: ProjectUses.of_program(program).calls, runs):.2f} s "
        f"({len(program.modules)} modules)"
    )


if __name__ == "__main__":
    main()
