"""firstpatch.prove: confirm code findings by running the target in a sandbox.

`prove(root, findings)` dispatches each finding to the driver of its entry point's framework
and returns one `Evidence` per finding: confirmed (with the oracle event, a reproducer script
and a curl command), not-confirmed (with the payloads tried) or untestable (with why).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from firstpatch.model import Evidence, Finding, Fingerprint, ProofStatus
from firstpatch.prove.flask import FlaskDriver
from firstpatch.prove.interface import AuditRecord, Driver, Observation, Oracle, Payload, ProveError, Response
from firstpatch.prove.oracles import ORACLES
from firstpatch.prove.payloads import new_canary, payloads_for
from firstpatch.prove.sandbox import ChildError, Failure, Limits, SandboxResult

DRIVERS: dict[str, Driver] = {driver.framework: driver for driver in (FlaskDriver(),)}


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


__all__ = [
    "DRIVERS",
    "ORACLES",
    "AuditRecord",
    "ChildError",
    "Driver",
    "Failure",
    "FlaskDriver",
    "Limits",
    "Observation",
    "Oracle",
    "Payload",
    "ProveError",
    "Response",
    "SandboxResult",
    "new_canary",
    "payloads_for",
    "prove",
]
