"""Running the target's own test suite, before and after a patch, in a child process.

The suite runs on a copy, with a scrubbed environment, in its own session so that a timeout
kills everything it started, and with its output going to a file of which only the tail is
read. Which tests failed is read from pytest's short summary (`-rfE`).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from firstpatch.target import SKIPPED_DIRS

_SUMMARY = re.compile(r"^(?:FAILED|ERROR) (?P<test>\S.*?)(?: - .*)?$", re.MULTILINE)
_PASSED = re.compile(r"\b(\d+) passed\b")
_TAIL_BYTES = 1024 * 1024
# pytest's exit codes: 0 all passed, 1 some failed, 2 interrupted (collection errors too),
# 5 nothing collected; 3 and 4 are pytest's own failures.
_RAN = frozenset({0, 1, 5})


@dataclass(frozen=True, slots=True)
class SuiteResult:
    ran: bool
    failed: frozenset[str]  # test ids, and files that failed to collect
    detail: str  # pytest's last line, or why the suite did not run
    passed: int = 0
    collected: bool = True  # False when pytest found no test to run


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
        with output_path.open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=tree,
                env=_environment(Path(scratch)),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                return SuiteResult(False, frozenset(), f"the tests did not finish within {timeout:g} s")
        text = _tail(output_path)
    failed = frozenset(match["test"] for match in _SUMMARY.finditer(text))
    last = next((line for line in reversed(text.splitlines()) if line.strip()), "")
    if code in _RAN or (code == 2 and failed):
        passed = _PASSED.search(last)
        return SuiteResult(True, failed, last.strip("= "), int(passed[1]) if passed else 0, code != 5)
    return SuiteResult(False, failed, f"pytest exited with status {code}: {last.strip('= ')}")


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


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tail(path: Path) -> str:
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _TAIL_BYTES))
        return handle.read().decode("utf-8", errors="replace")
