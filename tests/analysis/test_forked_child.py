"""Work handed to a forked child: it sees what the parent holds, and only its result comes back."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.analysis.forked import in_child
from firstpatch.target import Target


@pytest.mark.skipif(sys.platform != "linux", reason="forking is used on Linux only")
def test_the_work_runs_in_another_process_that_inherits_the_parents_objects() -> None:
    held = {"tree": list(range(1000))}  # not picklable by reference: the child must inherit it
    with in_child(lambda: (os.getpid(), sum(held["tree"]))) as result:
        pid, total = result()
    assert pid != os.getpid()
    assert total == sum(range(1000))


def test_when_not_enabled_the_work_runs_here_when_asked() -> None:
    ran: list[int] = []
    with in_child(lambda: ran.append(os.getpid()) or len(ran), enabled=False) as result:
        assert ran == []
        assert result() == 1
    assert ran == [os.getpid()]


def test_an_error_in_the_child_reaches_the_parent() -> None:
    def fail() -> None:
        raise ValueError("broken rule")

    with pytest.raises(ValueError, match="broken rule"), in_child(fail) as result:
        result()


def test_the_analysis_leaves_the_collectors_settings_as_it_found_them(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import os\n\ndef run(cmd):\n    os.system(cmd)\n")
    before = gc.get_threshold()
    TaintAnalyzer(jobs=2).analyze(Target.open(tmp_path))
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
