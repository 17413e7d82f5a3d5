"""Running the target's own test suite, before and after a patch, in the prove sandbox.

The suite runs on a copy, through `prove.isolated.run_isolated`: its own session and pids
cgroup, no network but loopback, the sandbox's rlimits, a scrubbed environment, killed with
everything it started at the timeout. Its output goes to a file of which only the tail is
read; which tests failed is read from pytest's short summary (`-rfE`).

With firstpatch's own interpreter, pytest's plugin autoloading is off: the plugins installed
there are firstpatch's (hypothesis alone takes seconds to import), not the target's. A target
environment (`python=`) loads its own plugins as its developers' runs do.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from firstpatch.prove.isolated import run_isolated
from firstpatch.prove.sandbox import Limits
from firstpatch.target import SKIPPED_DIRS

_SUMMARY = re.compile(r"^(?:FAILED|ERROR) (?P<test>\S.*?)(?: - .*)?$", re.MULTILINE)
_PASSED = re.compile(r"\b(\d+) passed\b")
_TAIL_BYTES = 1024 * 1024
# pytest's exit codes: 0 all passed, 1 some failed, 2 interrupted (collection errors too),
# 5 nothing collected; 3 and 4 are pytest's own failures.
_RAN = frozenset({0, 1, 5})
# A test run is a whole program: more files and processes than one request needs.
_LIMITS = Limits(cpu_seconds=600, open_files=1024, processes=256)


@dataclass(frozen=True, slots=True)
class SuiteResult:
    ran: bool
    failed: frozenset[str]  # test ids, and files that failed to collect
    detail: str  # pytest's last line, or why the suite did not run
    passed: int = 0
    collected: bool = True  # False when pytest found no test to run
    isolation: str = ""  # what contained the run (network namespace, pids cgroup)


def has_tests(root: Path) -> bool:
    """True when the tree holds pytest-style test files outside tool folders."""
    for _, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        if any(_is_test_file(name) for name in filenames):
            return True
    return False


def _is_test_file(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def run_suite(tree: Path, timeout: float, python: str | None = None) -> SuiteResult:
    """Run pytest in `tree` (a copy: the suite may write to it) with `python`, by default
    the interpreter running firstpatch."""
    command = [python or sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", "--color=no"]
    # A file that fails to import must not stop the other files from running.
    command.append("--continue-on-collection-errors")
    with tempfile.TemporaryDirectory(prefix="firstpatch-tests-") as scratch:
        output_path = Path(scratch) / "output"
        env = _environment(Path(scratch))
        if python is None:
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        with output_path.open("wb") as output:
            run = run_isolated(command, cwd=tree, env=env, timeout=timeout, output=output, limits=_LIMITS)
        if run.returncode is None:
            return SuiteResult(False, frozenset(), f"the tests did not finish within {timeout:g} s")
        code = run.returncode
        text = _tail(output_path)
    failed = frozenset(match["test"] for match in _SUMMARY.finditer(text))
    last = next((line for line in reversed(text.splitlines()) if line.strip()), "")
    if code in _RAN or (code == 2 and failed):
        passed = _PASSED.search(last)
        count = int(passed[1]) if passed else 0
        return SuiteResult(True, failed, last.strip("= "), count, code != 5, run.isolation)
    return SuiteResult(
        False, failed, f"pytest exited with status {code}: {last.strip('= ')}", 0, True, run.isolation
    )


def _environment(home: Path) -> dict[str, str]:
    """Only what a test suite needs: no credentials, tokens or proxies of the caller."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    if "SYSTEMROOT" in os.environ:  # Windows cannot start Python without it
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    return env


def _tail(path: Path) -> str:
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _TAIL_BYTES))
        return handle.read().decode("utf-8", errors="replace")
