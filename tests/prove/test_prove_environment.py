"""--install-deps: the target's declared requirements in a cached environment the sandbox uses.

The requirement is a wheel built here and installed with `pip --no-index --find-links`: no network.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import make_finding
from firstpatch.model import InputKind, ProofStatus
from firstpatch.prove import declared_requirements, drivers_for, installed, prepare, prove
from firstpatch.prove.environment import runner_needs
from firstpatch.prove.interpreters import describe

MODULE = 'import os\n\n\ndef shell(text):\n    os.system("echo " + text)\n'
RUNNING = sys.version_info[:2]
NEWER = [i for i in installed() if i.minor > RUNNING and i.minor >= (3, 12)]


def _wheel(folder: Path) -> Path:
    """A minimal wheel for `fpdep` 1.0 (PEP 427 layout: the module, METADATA, WHEEL, RECORD)."""
    path = folder / "fpdep-1.0-py3-none-any.whl"
    files = {
        "fpdep.py": MODULE,
        "fpdep-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: fpdep\nVersion: 1.0\n",
        "fpdep-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(text.encode())}")
        record.append("fpdep-1.0.dist-info/RECORD,,")
        archive.writestr("fpdep-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


def test_declared_requirements_skip_what_is_not_a_named_requirement(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "flask>=3  # web\n-e .\n./local\nhttps://x.example/a.whl\n\nrequests\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "t"\ndependencies = ["PyYAML>=6", "flask>=3"]\n'
    )
    wanted, skipped = declared_requirements(tmp_path)
    assert wanted == ["flask>=3", "requests", "PyYAML>=6"]
    assert [line.split(":")[0:2] for line in skipped] == [
        ["requirements.txt", "2"],
        ["requirements.txt", "3"],
        ["requirements.txt", "4"],
    ]
    # Starlette's TestClient (the FastAPI runner's) needs httpx, which applications rarely declare.
    assert runner_needs(["FastAPI>=0.100", "uvicorn"]) == ["httpx"]
    assert runner_needs(["fastapi", "httpx==0.27"]) == []


@pytest.mark.slow
def test_missing_module_untestable_until_the_environment_has_it(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels)
    root = tmp_path / "tool"
    root.mkdir()
    (root / "requirements.txt").write_text("fpdep==1.0\n")
    (root / "tool.py").write_text("import sys\n\nimport fpdep\n\nfpdep.shell(sys.argv[1])\n")
    finding = make_finding(
        "", 78, None, InputKind.ARGV, (), path="tool.py", framework="cli", function="tool.<module>"
    )

    without = prove(root, [finding])[finding.fingerprint]
    assert without.status is ProofStatus.UNTESTABLE, without.reason
    assert "missing module fpdep" in without.reason

    pip = ("--no-index", "--find-links", str(wheels))
    environment = prepare(root, cache=tmp_path / "cache", pip_args=pip)
    assert environment.requirements == ("fpdep==1.0",)
    assert not environment.reused
    evidence = prove(root, [finding], drivers_for(environment.python))[finding.fingerprint]
    assert evidence.status is ProofStatus.CONFIRMED, (evidence.reason, evidence.log)
    assert prepare(root, cache=tmp_path / "cache", pip_args=pip).reused


@pytest.mark.slow
@pytest.mark.skipif(not NEWER, reason="no Python 3.12+ on this machine (PATH, pyenv, uv)")
def test_the_environment_is_built_with_the_python_the_project_asks_for(tmp_path: Path) -> None:
    newer = NEWER[0]
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels)
    root = tmp_path / "tool"
    root.mkdir()
    (root / ".python-version").write_text(f"{newer.minor[0]}.{newer.minor[1]}\n")
    (root / "requirements.txt").write_text("fpdep==1.0\n")
    # PEP 701 f-string: this program compiles on 3.12 and later only.
    (root / "tool.py").write_text('import sys\n\nimport fpdep\n\nfpdep.shell(f"{"x"}" + sys.argv[1])\n')
    finding = make_finding(
        "", 78, None, InputKind.ARGV, (), path="tool.py", framework="cli", function="tool.<module>"
    )
    environment = prepare(
        root, cache=tmp_path / "cache", pip_args=("--no-index", "--find-links", str(wheels))
    )
    assert describe(environment.python).minor == newer.minor
    assert ".python-version" in environment.base
    evidence = prove(root, [finding], drivers_for(environment.python))[finding.fingerprint]
    assert evidence.status is ProofStatus.CONFIRMED, (evidence.reason, evidence.log)
