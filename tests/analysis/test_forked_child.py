"""Work handed to forked children: they see what the parent holds, only their results come back."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.analysis.forked import in_children
from firstpatch.target import Target

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="forking is used on Linux only")


@linux_only
def test_the_works_run_in_other_processes_that_inherit_the_parents_objects() -> None:
    held = {"tree": list(range(1000))}  # never pickled: the children must inherit it
    works = [lambda: (os.getpid(), sum(held["tree"])), lambda: (os.getpid(), len(held["tree"]))]
    with in_children(works) as results:
        (first_pid, total), (second_pid, size) = (result() for result in results)
    assert os.getpid() not in (first_pid, second_pid)
    assert first_pid == second_pid  # one child, which took the works in order
    assert (total, size) == (sum(range(1000)), 1000)


@linux_only
def test_two_children_share_the_works() -> None:
    import time

    def slow() -> int:
        time.sleep(0.3)
        return os.getpid()

    with in_children([slow, slow], children=2) as results:
        pids = {result() for result in results}
    assert len(pids) == 2


def test_when_not_enabled_each_work_runs_here_when_asked() -> None:
    ran: list[int] = []
    with in_children([lambda: ran.append(os.getpid()) or len(ran)], enabled=False) as results:
        assert ran == []
        assert results[0]() == 1
    assert ran == [os.getpid()]


def test_an_error_in_a_child_reaches_the_parent() -> None:
    def fail() -> None:
        raise ValueError("broken rule")

    with pytest.raises(ValueError, match="broken rule"), in_children([fail]) as results:
        results[0]()


def _project(root: Path, functions: int) -> None:
    """A Flask app with many small helpers around one command injection and one safe call."""
    helpers = "\n".join(f"def helper_{n}(value):\n    return value + '{n}'\n" for n in range(functions))
    (root / "helpers.py").write_text(helpers)
    (root / "app.py").write_text(
        "import hashlib, os\nfrom flask import Flask, request\nfrom helpers import *\n"
        "app = Flask(__name__)\n\n"
        "@app.route('/run')\ndef run():\n"
        "    os.system(helper_7(request.args['cmd']))\n"
        "    return hashlib.md5(b'x').hexdigest()\n"
    )


def test_splitting_the_first_pass_over_processes_finds_the_same(tmp_path: Path) -> None:
    _project(tmp_path, functions=1200)  # above the size from which the work is split
    alone = TaintAnalyzer(jobs=1).analyze(Target.open(tmp_path)).findings
    split = TaintAnalyzer(jobs=2).analyze(Target.open(tmp_path)).findings
    assert {f.rule_id for f in alone} >= {"py/command-injection"}
    assert split == alone


def test_the_analysis_leaves_the_collectors_settings_as_it_found_them(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import os\n\ndef run(cmd):\n    os.system(cmd)\n")
    before = gc.get_threshold()
    TaintAnalyzer(jobs=2).analyze(Target.open(tmp_path))
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@linux_only
def test_a_child_that_dies_costs_time_not_the_result() -> None:
    import signal

    parent = os.getpid()

    def killed_in_a_child() -> str:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return "done here"

    with in_children([killed_in_a_child, lambda: len("after")]) as results:
        assert results[0]() == "done here"
        assert results[1]() == 5
