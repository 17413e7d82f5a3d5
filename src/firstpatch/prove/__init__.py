"""firstpatch.prove: confirm code findings by running the target in a sandbox.

`prove(root, findings)` dispatches each finding to the driver of its entry point's framework
(Flask, Django, FastAPI/Starlette, aiohttp, Tornado, command-line programs) and returns one
`Evidence` per finding: confirmed (with the oracle event, a reproducer script and a curl command
or command line), not-confirmed (with the payloads tried) or untestable (with why).
The target runs under firstpatch's interpreter, or in its own environment: `target_drivers`
(what `firstpatch scan` and `firstpatch prove` use) builds the drivers for `--install-deps` (a
cached virtual environment with the target's requirements, created with the Python the project
asks for or its code needs) and `--target-python PATH` (that interpreter, e.g. 3.12 for code
written for it). `prove_in_scan` proves with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from firstpatch.model import Evidence, Finding, Fingerprint, ProofStatus
from firstpatch.prove.cli import CliDriver
from firstpatch.prove.environment import TargetEnvironment, declared_requirements, prepare
from firstpatch.prove.flask import FlaskDriver
from firstpatch.prove.interface import (
    AuditRecord,
    Driver,
    EnvironmentUnavailable,
    Observation,
    Oracle,
    Payload,
    ProveError,
    Response,
)
from firstpatch.prove.interpreters import Interpreter, installed
from firstpatch.prove.oracles import NO_DYNAMIC_ORACLE, ORACLES
from firstpatch.prove.payloads import new_canary, payloads_for
from firstpatch.prove.sandbox import ChildError, Failure, Limits, SandboxResult
from firstpatch.prove.web_drivers import AiohttpDriver, AsgiDriver, DjangoDriver, TornadoDriver

_DRIVER_TYPES = (FlaskDriver, DjangoDriver, AsgiDriver, AiohttpDriver, TornadoDriver, CliDriver)
DRIVERS: dict[str, Driver] = {kind.framework: kind() for kind in _DRIVER_TYPES}


def drivers_for(python: str | None = None, limits: Limits | None = None) -> dict[str, Driver]:
    """A driver per framework, running the sandbox with `python` (a target environment)."""
    return {kind.framework: kind(limits=limits, python=python) for kind in _DRIVER_TYPES}


def prove(
    root: Path, findings: Sequence[Finding], drivers: dict[str, Driver] | None = None
) -> dict[Fingerprint, Evidence]:
    """Evidence for every finding; `root` is never modified (drivers work on copies)."""
    registry = DRIVERS if drivers is None else drivers
    results: dict[Fingerprint, Evidence] = {}
    by_framework: dict[str, list[Finding]] = {}
    for finding in findings:
        entry = finding.entry_point
        if entry is None:
            results[finding.fingerprint] = Evidence(ProofStatus.UNTESTABLE, "the finding has no entry point")
        elif entry.framework not in registry:
            results[finding.fingerprint] = Evidence(
                ProofStatus.UNTESTABLE, f"no prove driver for the {entry.framework!r} framework"
            )
        else:
            by_framework.setdefault(entry.framework, []).append(finding)
    for framework, group in by_framework.items():
        results.update(registry[framework].prove(root, group))
    return results


def target_drivers(
    root: Path, install_deps: bool = False, target_python: str | None = None, limits: Limits | None = None
) -> dict[str, Driver]:
    """The drivers for the target's environment.

    With `install_deps`, the target's declared requirements are installed into a cached virtual
    environment the sandbox runs in, created with `target_python` when given, else with the Python
    the project asks for (.python-version, requires-python) or its code needs, when installed.
    With `target_python` alone, the sandbox runs that interpreter with its own packages. With
    neither, firstpatch's interpreter: a module the target imports but firstpatch's environment
    lacks makes its findings untestable ("missing module X"). Raises EnvironmentUnavailable
    (exit 2) when the interpreter does not run or the requirements do not install."""
    python = prepare(root, python=target_python).python if install_deps else target_python
    if python is None and limits is None:
        return DRIVERS
    return drivers_for(python, limits)


def prove_in_scan(
    root: Path, findings: Sequence[Finding], install_deps: bool = False, target_python: str | None = None
) -> dict[Fingerprint, Evidence]:
    """The prove stage of `firstpatch scan`, in the environment `target_drivers` describes."""
    return prove(root, findings, target_drivers(root, install_deps, target_python))


__all__ = [
    "DRIVERS",
    "NO_DYNAMIC_ORACLE",
    "ORACLES",
    "AiohttpDriver",
    "AsgiDriver",
    "AuditRecord",
    "ChildError",
    "CliDriver",
    "DjangoDriver",
    "Driver",
    "EnvironmentUnavailable",
    "Failure",
    "FlaskDriver",
    "Interpreter",
    "Limits",
    "Observation",
    "Oracle",
    "Payload",
    "ProveError",
    "Response",
    "SandboxResult",
    "TargetEnvironment",
    "TornadoDriver",
    "declared_requirements",
    "drivers_for",
    "installed",
    "new_canary",
    "payloads_for",
    "prepare",
    "prove",
    "prove_in_scan",
    "target_drivers",
]
