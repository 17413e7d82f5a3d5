"""The target's own interpreter: the Python a project asks for or its code needs, and a sandbox
child that runs under 3.11 to 3.13 without firstpatch installed.

Interpreters newer than firstpatch's are looked for on this machine (PATH, pyenv, uv); tests that
need one are skipped with a reason when there is none.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from conftest import make_finding
from firstpatch.model import Finding, InputKind, ProofStatus
from firstpatch.prove import EnvironmentUnavailable, drivers_for, installed, prove, sandbox, target_drivers
from firstpatch.prove._child import RUNNERS
from firstpatch.prove.interpreters import choose, describe, requested

PROVE = Path(sandbox.__file__).resolve().parent
RUNNING = sys.version_info[:2]
NEWER = [i for i in installed() if i.minor > RUNNING and i.minor >= (3, 12)]
# PEP 701: the same quotes inside an f-string's replacement field parse only on 3.12 and later.
TOOL = 'import os\nimport sys\n\nlabel = f"{"echo"}"\nos.system(label + " " + sys.argv[1])\n'
needs_newer = pytest.mark.skipif(not NEWER, reason="no Python 3.12+ on this machine (PATH, pyenv, uv)")


def _tool(root: Path) -> Path:
    root.mkdir()
    (root / "tool.py").write_text(TOOL)
    return root


def _finding() -> Finding:
    return make_finding(
        "", 78, None, InputKind.ARGV, (), path="tool.py", framework="cli", function="tool.<module>"
    )


def test_the_python_a_project_asks_for(tmp_path: Path) -> None:
    assert requested(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\nrequires-python = ">=3.12"\n')
    assert requested(tmp_path) == (SpecifierSet(">=3.12"), "requires-python >=3.12")
    # .python-version (pyenv's file) wins; a patch release asks for its minor version.
    (tmp_path / ".python-version").write_text("3.13.0\n")
    assert requested(tmp_path) == (SpecifierSet("==3.13.*"), ".python-version 3.13.0")


def test_an_interpreter_that_does_not_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentUnavailable, match="not a Python interpreter"):
        describe(str(tmp_path / "python9"))
    with pytest.raises(EnvironmentUnavailable, match="not a Python interpreter"):
        target_drivers(tmp_path, target_python=str(tmp_path / "python9"), install_deps=True)


def test_the_child_side_needs_only_the_standard_library() -> None:
    """What the sandbox copies for another interpreter imports nothing else at load time (a runner
    imports its framework inside the function that serves it: the target's environment has it)."""
    assert {module.lstrip(".") for module in RUNNERS.values()} <= set(sandbox.CHILD_MODULES)
    for name in sandbox.CHILD_MODULES:
        tree = ast.parse((PROVE / f"{name}.py").read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
                assert roots <= sys.stdlib_module_names, (name, roots)
            elif isinstance(node, ast.ImportFrom) and node.level:
                siblings = {node.module} if node.module else {alias.name for alias in node.names}
                assert siblings <= set(sandbox.CHILD_MODULES), (name, siblings)
            elif isinstance(node, ast.ImportFrom):
                root = (node.module or "").split(".")[0]
                assert root in sys.stdlib_module_names or root == "__future__", (name, root)


def test_code_for_a_newer_python_is_untestable_on_an_older_one(tmp_path: Path) -> None:
    if RUNNING >= (3, 12):
        pytest.skip("firstpatch itself runs on 3.12+: the fixture compiles here")
    finding = _finding()
    evidence = prove(_tool(tmp_path / "tool"), [finding])[finding.fingerprint]
    assert evidence.status is ProofStatus.UNTESTABLE, evidence.reason
    assert "does not compile" in evidence.reason
    assert "--target-python" in evidence.reason


@needs_newer
@pytest.mark.slow
@pytest.mark.parametrize("minor", sorted({i.minor for i in NEWER}), ids=lambda m: f"{m[0]}.{m[1]}")
def test_code_for_a_newer_python_is_proved_under_it(tmp_path: Path, minor: tuple[int, int]) -> None:
    interpreter = next(i for i in reversed(NEWER) if i.minor == minor)
    root = _tool(tmp_path / "tool")
    finding = _finding()
    evidence = prove(root, [finding], drivers_for(interpreter.path))[finding.fingerprint]
    assert evidence.status is ProofStatus.CONFIRMED, (evidence.reason, evidence.log)
    assert f"python {interpreter.version}" in evidence.log


@needs_newer
def test_the_code_decides_when_the_project_does_not_say(tmp_path: Path) -> None:
    chosen = choose(_tool(tmp_path / "tool"))
    assert chosen.interpreter.minor >= (3, 12)
    assert "its code needs a newer grammar" in chosen.why
