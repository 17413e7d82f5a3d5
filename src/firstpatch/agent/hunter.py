"""The agent's run over a scan: triage, hunt and patch tasks, one conversation each.

1. triage: each code finding the sandbox did not confirm gets a task to craft an input that
   satisfies the conditions on its path;
2. hunt: each entry point gets a task to look for flaws beyond the taint rules;
3. patch: each confirmed finding without a verified patch gets a task to write one.

Tests the model submits are judged in the sandbox (`proof`); only confirmed ones change the
run's findings. Patches are verified by the patch stage. The run stops cleanly when the budget
is spent or the provider fails, keeping what it has, and says so in its report.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from firstpatch import patch
from firstpatch.agent import prompts
from firstpatch.agent.budget import Budget, BudgetLimit, Prices
from firstpatch.agent.hypothesis import Hypothesis, Test, Weakness
from firstpatch.agent.interface import Provider, ProviderError
from firstpatch.agent.loop import Ending, converse
from firstpatch.agent.patching import Edit, HypothesisDriver, proposed_patch, verify_patch
from firstpatch.agent.proof import evaluate
from firstpatch.agent.redact import Redactor
from firstpatch.agent.rules import evidence_from, finding_from
from firstpatch.agent.tools import HUNT_TOOLS, PATCH_TOOLS, TestRequest, Toolbox, finding_summary
from firstpatch.agent.transcript import Transcript
from firstpatch.agent.workspace import Refused, Workspace
from firstpatch.model import (
    Finding,
    FindingKind,
    Fingerprint,
    Patch,
    PatchStatus,
    ProofStatus,
)
from firstpatch.prove import ORACLES, Limits

PHASES = ("triage", "hunt", "patch")


@dataclass(frozen=True, slots=True)
class AgentOptions:
    budget: BudgetLimit
    prices: Prices | None = None
    phases: tuple[str, ...] = PHASES
    max_turns: int = 12  # per task
    max_tests: int = 6  # sandbox tests per task
    max_patch_attempts: int = 3  # per patch task
    max_output_tokens: int = 4096
    limits: Limits | None = None  # the sandbox's
    test_timeout: float = 300.0  # the target's own test suite, during patch verification


@dataclass(frozen=True, slots=True)
class AgentReport:
    findings: tuple[Finding, ...]  # the code findings after the agent: triaged, new, patched
    hypotheses: tuple[Hypothesis, ...]  # every hypothesis tested, confirmed or not
    spent: str
    stopped: str | None  # why the run ended early; None when every task ran
    tasks_run: int
    tasks_total: int
    run_dir: Path

    @property
    def unproven(self) -> tuple[Hypothesis, ...]:
        return tuple(h for h in self.hypotheses if h.status is not ProofStatus.CONFIRMED)

    def summary(self) -> str:
        confirmed = len(self.hypotheses) - len(self.unproven)
        text = (
            f"agent: {self.tasks_run} of {self.tasks_total} tasks, {len(self.hypotheses)} hypotheses tested, "
            f"{confirmed} confirmed; {self.spent}"
        )
        return text + (f"; stopped early: {self.stopped}" if self.stopped else "")


@dataclass
class _State:
    findings: list[Finding]
    hypotheses: dict[tuple[str, str, str, int], Hypothesis] = field(default_factory=dict)
    tests: dict[Fingerprint, Test] = field(default_factory=dict)  # the proof behind each agent finding

    def index(self, fingerprint: Fingerprint) -> int:
        return next(n for n, f in enumerate(self.findings) if f.fingerprint == fingerprint)


class Hunter:
    def __init__(
        self, root: Path, provider: Provider, options: AgentOptions, run_dir: Path, api_key: str | None = None
    ) -> None:
        self.workspace = Workspace(root)
        self.root = self.workspace.root
        self.provider = provider
        self.options = options
        self.run_dir = run_dir
        self.redactor = Redactor.for_target(self.root, api_key)
        self.nonce = secrets.token_hex(8)
        self.budget = Budget(options.budget, options.prices, provider.model)
        self.transcript = Transcript(run_dir / "transcript.jsonl", self.redactor)

    def run(self, findings: Sequence[Finding]) -> AgentReport:
        state = _State([f for f in findings if f.kind is FindingKind.CODE])
        planned: list[tuple[str, object]] = []
        if "triage" in self.options.phases:
            planned += [("triage", f) for f in state.findings if _needs_triage(f)]
        if "hunt" in self.options.phases:
            planned += [
                ("hunt", function) for function in dict.fromkeys(r.function for r in self.workspace.routes)
            ]
        self.transcript.write(
            "start", target=str(self.root), provider=self.provider.name, model=self.provider.model,
            budget=self.options.budget.describe(), secrets_redacted=self.redactor.count, tasks=len(planned),
        )  # fmt: skip
        ran, stopped = 0, None
        try:
            for kind, subject in planned:
                if self._task(state, kind, subject) is Ending.BUDGET:
                    stopped = self.budget.exhausted
                    break
                ran += 1
            if stopped is None and "patch" in self.options.phases:
                self._codemods(state)
                patchable = [f for f in state.findings if _needs_patch(f)]
                planned += [("patch", f) for f in patchable]
                for finding in patchable:
                    if self._task(state, "patch", finding) is Ending.BUDGET:
                        stopped = self.budget.exhausted
                        break
                    ran += 1
        except ProviderError as exc:
            stopped = f"provider error: {exc}"
        report = AgentReport(
            tuple(state.findings), tuple(state.hypotheses.values()), self.budget.spent(), stopped,
            ran, len(planned), self.run_dir,
        )  # fmt: skip
        self.transcript.write("end", summary=report.summary())
        self.transcript.close()
        _write_json(self.run_dir / "hypotheses.json", [h.to_json() for h in report.hypotheses], self.redactor)
        return report

    def _task(self, state: _State, kind: str, subject: object) -> Ending:
        tests_left = [self.options.max_tests]
        if kind == "hunt" and isinstance(subject, str):
            task, prompt = f"hunt:{subject}", self._hunt_prompt(subject)
        elif kind == "triage" and isinstance(subject, Finding):
            task, prompt = f"triage:{subject.fingerprint}", self._triage_prompt(subject)
        elif kind == "patch" and isinstance(subject, Finding):
            return self._patch_task(state, subject)
        else:  # pragma: no cover - the planner only makes the three kinds above
            raise TypeError(kind)

        def run_test(request: TestRequest) -> str:
            if tests_left[0] <= 0:
                raise Refused(f"this task has used its {self.options.max_tests} sandbox tests")
            tests_left[0] -= 1
            return self._test(state, task, request, subject if isinstance(subject, Finding) else None)

        toolbox = self._toolbox(state, HUNT_TOOLS)
        toolbox.run_test = run_test
        return self._converse(task, prompt, toolbox)

    def _converse(self, task: str, prompt: str, toolbox: Toolbox) -> Ending:
        return converse(
            self.provider, self.budget, self.transcript,
            system=prompts.SYSTEM.format(nonce=self.nonce), task=task, prompt=prompt, toolbox=toolbox,
            max_turns=self.options.max_turns, max_output_tokens=self.options.max_output_tokens,
        )  # fmt: skip

    def _toolbox(self, state: _State, offered: tuple[str, ...]) -> Toolbox:
        return Toolbox(self.workspace, self.redactor, state.findings, self.nonce, offered)

    def _test(self, state: _State, task: str, request: TestRequest, triaged: Finding | None) -> str:
        route = self.workspace.route_of(request.entry_point)
        if route is None:  # checked by the toolbox already
            raise Refused(f"{request.entry_point!r} is not an entry point")
        entry = route.entry_point()
        verdict = evaluate(request.test, entry, self.root, self.redactor, self.options.limits)
        key = (task, request.entry_point, request.weakness.value, request.cwe)
        earlier = state.hypotheses.get(key)
        hypothesis = Hypothesis(
            id=earlier.id if earlier else f"h{len(state.hypotheses) + 1}",
            task=task,
            weakness=request.weakness,
            cwe=request.cwe,
            claim=request.claim,
            entry_point=entry,
            test=request.test,
            verdict=verdict,
            attempts=earlier.attempts + 1 if earlier else 1,
        )
        if verdict.status is ProofStatus.CONFIRMED:
            hypothesis = replace(hypothesis, finding=self._confirm(state, hypothesis, triaged))
        if earlier is None or earlier.status is not ProofStatus.CONFIRMED:
            state.hypotheses[key] = hypothesis
        self.transcript.write("verdict", task, hypothesis=hypothesis.to_json())
        toolbox = self._toolbox(state, ())
        outcome = f"{verdict.status.value}: {verdict.reason}"
        if verdict.status is ProofStatus.CONFIRMED:
            outcome += "\nThis is now a finding; do not test it again."
        return (
            self.redactor.redact(outcome)
            + "\nWhat the application answered:\n"
            + toolbox.untrusted(verdict.seen or "(nothing)", "sandbox")
        )

    def _confirm(self, state: _State, hypothesis: Hypothesis, triaged: Finding | None) -> Fingerprint:
        """Attach the proof to the static finding it confirms, or add the new finding it proves."""
        static = None
        if hypothesis.weakness is Weakness.INJECTION:
            static = next(
                (
                    f for f in state.findings
                    if f.cwe == hypothesis.cwe and f.entry_point is not None
                    and f.entry_point.function == hypothesis.entry_point.function
                    and (triaged is None or f.fingerprint == triaged.fingerprint)
                ),
                None,
            )  # fmt: skip
        if static is not None:
            evidence = evidence_from(hypothesis.verdict, "input crafted by the language model for this path")
            state.findings[state.index(static.fingerprint)] = replace(static, evidence=evidence)
            state.tests[static.fingerprint] = hypothesis.test
            return static.fingerprint
        finding = finding_from(hypothesis)
        if all(f.fingerprint != finding.fingerprint for f in state.findings):
            state.findings.append(finding)
            state.tests[finding.fingerprint] = hypothesis.test
        return finding.fingerprint

    def _codemods(self, state: _State) -> None:
        """Findings the agent confirmed get the codemod first, verified against the agent's input."""
        for fingerprint in list(state.tests):
            finding = state.findings[state.index(fingerprint)]
            proposal = patch.propose(self.root, finding) if _needs_patch(finding) else None
            if proposal is None:
                continue
            driver = HypothesisDriver(state.tests, self.redactor, self.options.limits)
            verified = verify_patch(
                self.root, finding, proposal, driver, test_timeout=self.options.test_timeout
            )
            state.findings[state.index(fingerprint)] = replace(finding, patch=verified)
            self.transcript.write("codemod", fingerprint, status=verified.status.value, diff=verified.diff)

    def _patch_task(self, state: _State, finding: Finding) -> Ending:
        task = f"patch:{finding.fingerprint}"
        attempts = [self.options.max_patch_attempts]
        driver = (
            HypothesisDriver(state.tests, self.redactor, self.options.limits)
            if finding.fingerprint in state.tests
            else None
        )

        def propose(description: str, edits: list[dict[str, str]]) -> str:
            current = state.findings[state.index(finding.fingerprint)]
            if current.patch is not None and current.patch.status is PatchStatus.VERIFIED:
                raise Refused("a verified patch is already accepted for this finding")
            if attempts[0] <= 0:
                raise Refused(f"this task has used its {self.options.max_patch_attempts} patch attempts")
            attempts[0] -= 1
            restored = [
                Edit(e["path"], self.redactor.restore(e["find"]), self.redactor.restore(e["replace"]))
                for e in edits
            ]
            proposal = proposed_patch(self.root, description, restored)
            patch = verify_patch(self.root, current, proposal, driver, test_timeout=self.options.test_timeout)
            if patch.status is PatchStatus.VERIFIED or current.patch is None:
                state.findings[state.index(finding.fingerprint)] = replace(current, patch=patch)
            self.transcript.write(
                "patch",
                task,
                status=patch.status.value,
                diff=patch.diff,
                checks=[c.detail for c in patch.checks],
            )
            return self.redactor.redact(_describe_patch(patch))

        toolbox = self._toolbox(state, PATCH_TOOLS)
        toolbox.propose_patch = propose
        return self._converse(task, self._patch_prompt(finding), toolbox)

    def _hunt_prompt(self, function: str) -> str:
        route = self.workspace.route_of(function)
        if route is None:  # pragma: no cover - hunt tasks are planned from the routes
            raise TypeError(function)
        source = self._untrusted(self.workspace.handler_source(function), route.path)
        return prompts.HUNT.format(
            function=function, methods=",".join(route.methods), rule=_inline(route.rule),
            path=_inline(route.path), line=route.line, source=source,
        )  # fmt: skip

    def _triage_prompt(self, finding: Finding) -> str:
        entry = finding.entry_point
        if entry is None:  # pragma: no cover - triage is planned only for findings with one
            raise TypeError(finding.fingerprint)
        return prompts.TRIAGE.format(
            fingerprint=finding.fingerprint, rule=finding.rule_id, cwe=finding.cwe,
            location=_inline(f"{finding.location.path}:{finding.location.line}"), function=entry.function,
            methods=",".join(entry.methods), rule_path=_inline(entry.route),
            reason=self._untrusted(finding.evidence.reason if finding.evidence else "not run", "prove"),
            finding=self._untrusted(json.dumps(finding_summary(finding), indent=1), "analysis"),
        )  # fmt: skip

    def _patch_prompt(self, finding: Finding) -> str:
        entry = finding.entry_point
        function = entry.function if entry else ""
        return prompts.PATCH.format(
            fingerprint=finding.fingerprint, rule=finding.rule_id, cwe=finding.cwe,
            location=_inline(f"{finding.location.path}:{finding.location.line}"),
            reason=self._untrusted(finding.evidence.reason if finding.evidence else "", "prove"),
            function=function,
            source=self._untrusted(self.workspace.handler_source(function), finding.location.path),
        )  # fmt: skip

    def _untrusted(self, text: str, source: str) -> str:
        return self._toolbox(_State([]), ()).untrusted(text, source)


def _inline(text: str) -> str:
    """A value from the target (a route, a file name) shown outside the untrusted wrapper: one
    line, escaped, short, so it cannot pose as a line of firstpatch's own instructions."""
    return json.dumps(text[:200])[1:-1]


def _needs_triage(finding: Finding) -> bool:
    evidence = finding.evidence
    return (
        finding.entry_point is not None
        and (finding.cwe or 0) in ORACLES
        and (evidence is None or evidence.status is ProofStatus.NOT_CONFIRMED)
    )


def _needs_patch(finding: Finding) -> bool:
    confirmed = finding.evidence is not None and finding.evidence.status is ProofStatus.CONFIRMED
    return confirmed and (finding.patch is None or finding.patch.status is not PatchStatus.VERIFIED)


def _describe_patch(patch: Patch) -> str:
    lines = [f"{patch.status.value}:"]
    lines += [
        f"- {check.name}: {'passed' if check.passed else 'FAILED'}: {check.detail}" for check in patch.checks
    ]
    if patch.status is PatchStatus.VERIFIED:
        lines.append("The patch is accepted; stop here.")
    elif not patch.checks:
        lines.append("No check could run for this finding, so the patch cannot be verified.")
    return "\n".join(lines)


def _write_json(path: Path, value: Any, redactor: Redactor) -> None:
    """Atomically: a reader never sees half a file."""
    text = json.dumps(redactor.redact_json(value), indent=2, ensure_ascii=False) + "\n"
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as handle:
        handle.write(text)
    Path(handle.name).replace(path)
