"""Running a target's own test suite: which tests failed, and when it could not run at all."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from firstpatch.patch._tests import has_tests, run_suite
from firstpatch.patch.checks import judge_suite


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_finds_test_files_but_not_in_tool_folders(tmp_path: Path) -> None:
    assert not has_tests(project(tmp_path / "a", {"app.py": "", ".venv/lib/test_x.py": ""}))
    assert has_tests(project(tmp_path / "b", {"app.py": "", "tests/test_app.py": ""}))
    assert has_tests(project(tmp_path / "c", {"pkg/parse_test.py": ""}))


def test_names_the_failing_tests_and_files_that_do_not_collect(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "tests/test_ok.py": "def test_ok():\n    pass\n",
            "tests/test_bad.py": "def test_bad():\n    assert 1 == 2\n\n\ndef test_fine():\n    pass\n",
            "tests/test_params.py": "import pytest\n\n\n@pytest.mark.parametrize('x', ['a b'])\n"
            "def test_p(x):\n    assert not x\n",
            "tests/test_broken.py": "import no_such_module_anywhere\n",
        },
    )
    result = run_suite(root, timeout=60)
    assert result.ran
    assert result.failed == {
        "tests/test_bad.py::test_bad",
        "tests/test_params.py::test_p[a b]",
        "tests/test_broken.py",
    }


def test_a_passing_suite(tmp_path: Path) -> None:
    result = run_suite(project(tmp_path, {"test_one.py": "def test_one():\n    pass\n"}), timeout=60)
    assert result.ran
    assert result.failed == frozenset()
    assert result.detail.startswith("1 passed")
    assert result.passed == 1


def test_the_suite_does_not_see_the_callers_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTPATCH_SECRET_TOKEN", "hunter2")
    test = "import os\n\n\ndef test_env():\n    assert 'FIRSTPATCH_SECRET_TOKEN' not in os.environ\n"
    assert run_suite(project(tmp_path, {"test_env.py": test}), timeout=60).failed == frozenset()


def test_a_suite_that_hangs_is_stopped(tmp_path: Path) -> None:
    test = "import time\n\n\ndef test_slow():\n    time.sleep(60)\n"
    result = run_suite(project(tmp_path, {"test_slow.py": test}), timeout=2)
    assert not result.ran
    assert result.detail == "the tests did not finish within 2 s"


def test_a_suite_with_nothing_passing_cannot_vouch_for_a_patch(tmp_path: Path) -> None:
    broken = {"test_app.py": "import missing_dependency_of_the_target\n\n\ndef test_one():\n    pass\n"}
    original = project(tmp_path / "original", broken)
    patched = project(tmp_path / "patched", broken)
    check = judge_suite(run_suite(original, 60), patched, timeout=60, python=None)
    assert check is not None
    assert not check.passed
    assert check.detail.startswith("no test passed before the patch, so none can show a regression")


def test_test_files_without_tests_are_no_suite(tmp_path: Path) -> None:
    empty = {"test_helpers.py": "HELPER = 1\n"}
    original, patched = project(tmp_path / "a", empty), project(tmp_path / "b", empty)
    assert judge_suite(run_suite(original, 60), patched, timeout=60, python=None) is None


def test_a_regression_is_named_and_old_failures_are_not(tmp_path: Path) -> None:
    before = {"test_a.py": "def test_ok():\n    pass\n\n\ndef test_old():\n    assert False\n"}
    after = {"test_a.py": "def test_ok():\n    assert False\n\n\ndef test_old():\n    assert False\n"}
    baseline = run_suite(project(tmp_path / "a", before), 60)
    check = judge_suite(baseline, project(tmp_path / "b", after), timeout=60, python=None)
    assert check is not None
    assert (check.passed, check.detail) == (False, "failing after the patch: test_a.py::test_ok")
    check = judge_suite(baseline, project(tmp_path / "d", before), timeout=60, python=None)
    assert check is not None
    assert check.passed
    assert "; the 1 failing before the patch still fail (sandbox: network: " in check.detail


NETWORK = """import socket


def test_only_loopback():
    assert [name for _, name in socket.if_nameindex()] == ["lo"]
"""


def test_the_suite_runs_in_the_sandbox_without_network(tmp_path: Path) -> None:
    result = run_suite(project(tmp_path, {"test_net.py": NETWORK}), timeout=60)
    assert result.ran
    assert "pids cgroup: yes" in result.isolation
    assert len(socket.if_nameindex()) > 1  # the host has more than loopback
    if result.isolation.startswith("network: network namespace") or "user+network" in result.isolation:
        assert (result.passed, result.failed) == (1, frozenset())
    else:  # a host that refuses namespaces: the suite sees the host's interfaces, and says so
        assert result.failed == {"test_net.py::test_only_loopback"}
