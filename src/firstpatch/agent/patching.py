"""Model-written patches, held to the same verification as the codemods' patches.

The model sends exact text edits; they are applied to the text of the target's files in memory
(never to the target), turned into the patch stage's `ProposedPatch`, and handed to
`firstpatch.patch.verify`, which applies them to a temporary copy and re-runs the proof, the
scan and the target's tests. The proof re-run uses the input that proved the finding: the prove
stage's own payloads for a finding it confirmed, the model's confirmed test for one the agent
proved (`HypothesisDriver`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from firstpatch.agent.hypothesis import Test
from firstpatch.agent.proof import evaluate
from firstpatch.agent.redact import Redactor
from firstpatch.agent.workspace import Refused
from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Evidence, Finding, Fingerprint, Patch, PatchStatus
from firstpatch.patch import FileChange, ProposedPatch, unified_diff, verify
from firstpatch.patch.tree import reader
from firstpatch.prove import DRIVERS, Driver, Limits
from firstpatch.target import Target

MODEL_WRITTEN = "Model-written patch: "


class HypothesisDriver(Driver):
    """Re-runs the confirmed test behind each agent finding on the tree it is given."""

    framework = "flask"

    def __init__(
        self, tests: Mapping[Fingerprint, Test], redactor: Redactor, limits: Limits | None = None
    ) -> None:
        self._tests = tests
        self._redactor = redactor
        self._limits = limits

    def prove(self, root: Path, findings: Sequence[Finding]) -> dict[Fingerprint, Evidence]:
        results: dict[Fingerprint, Evidence] = {}
        for finding in findings:
            test = self._tests.get(finding.fingerprint)
            if test is None or finding.entry_point is None:
                continue
            verdict = evaluate(test, finding.entry_point, root, self._redactor, self._limits)
            results[finding.fingerprint] = Evidence(verdict.status, verdict.reason, log=verdict.log)
        return results


@dataclass(frozen=True, slots=True)
class Edit:
    path: str
    find: str
    replace: str


def proposed_patch(root: Path, description: str, edits: Sequence[Edit]) -> ProposedPatch:
    """The edits as the patch stage's proposal; `Refused` when one does not apply exactly once."""
    read = reader(root)
    after: dict[str, str] = {}
    before: dict[str, str] = {}
    for number, edit in enumerate(edits):
        if edit.path not in after:
            text = read(edit.path)
            if text is None:
                raise Refused(f"edits[{number}]: {edit.path} is not a readable text file inside the target")
            before[edit.path] = after[edit.path] = text
        if not edit.find:
            raise Refused(f"edits[{number}]: 'find' is empty")
        count = after[edit.path].count(edit.find)
        if count != 1:
            where = "does not occur" if count == 0 else f"occurs {count} times"
            raise Refused(f"edits[{number}]: the text to find {where} in {edit.path}; quote it exactly, once")
        after[edit.path] = after[edit.path].replace(edit.find, edit.replace, 1)
    changes = tuple(
        FileChange(path, before[path], after[path]) for path in after if after[path] != before[path]
    )
    if not changes:
        raise Refused("the edits change nothing")
    return ProposedPatch(changes, unified_diff(changes), MODEL_WRITTEN + " ".join(description.split())[:300])


def verify_patch(
    root: Path,
    finding: Finding,
    proposed: ProposedPatch,
    driver: Driver | None,
    *,
    test_timeout: float = 300.0,
) -> Patch:
    """`patch.verify` with the driver that can re-run this finding's proof (the prove stage's
    own driver when `driver` is None)."""
    if driver is None:
        framework = finding.entry_point.framework if finding.entry_point else ""
        driver = DRIVERS.get(framework)
    if driver is None:
        return Patch(proposed.diff, proposed.files, PatchStatus.UNVERIFIED, proposed.description)
    analyzer = TaintAnalyzer()

    def rescan(tree: Path) -> Sequence[Finding]:
        return analyzer.analyze(Target.open(tree)).findings

    return verify(root, finding, proposed, driver, rescan=rescan, test_timeout=test_timeout)
