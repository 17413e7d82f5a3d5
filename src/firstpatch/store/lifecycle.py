"""The finding lifecycle as pure rules: which status changes a run or a person may cause.

    (first sighting) → new → confirmed (proof) → patched (verified patch)
    new / confirmed / patched / reopened → fixed      a later run looked for its kind and missed it
    fixed → reopened                                  seen again by a later run
    open → accepted-risk (reason, who, last day) → reopened when the last day has passed
    any → false-positive (reason, who) → reopened by a person

Proof and patches only move a finding forward within one exposure: a later run that could not
reproduce a confirmed finding (a missing database, a timeout) does not make it new again.
A person's decision (accepted risk, false positive) is not undone by runs that keep seeing the
finding; an accepted risk whose finding disappears is fixed like any other, while a false
positive stays one, since its absence proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from firstpatch.model import Finding, PatchStatus, ProofStatus
from firstpatch.store.interface import FindingStatus, TriageError

SCANNER = "firstpatch"  # who runs' transitions are recorded as made by
EXPIRED = "risk acceptance expired"  # how the reason of an expiry begins

_S = FindingStatus


@dataclass(frozen=True, slots=True)
class Transition:
    before: FindingStatus | None
    after: FindingStatus
    reason: str


def on_sighting(status: FindingStatus | None, finding: Finding, run: str) -> list[Transition]:
    """What a run that saw the finding changes, given its status before that run."""
    if status is None:
        return [Transition(None, _S.NEW, f"first seen in run {run}"), *_progress(_S.NEW, finding)]
    if status is _S.FIXED:
        return [
            Transition(_S.FIXED, _S.REOPENED, f"seen again in run {run}"),
            *_progress(_S.REOPENED, finding),
        ]
    if status.is_open:
        return _progress(status, finding)
    return []


def on_absence(status: FindingStatus, run: str, kind: str) -> Transition | None:
    """What a run that looked for the finding's kind and did not see it changes."""
    if status.is_open or status is _S.ACCEPTED_RISK:
        return Transition(status, _S.FIXED, f"not seen in run {run}, which looked for {kind} findings")
    return None


def _progress(status: FindingStatus, finding: Finding) -> list[Transition]:
    steps: list[Transition] = []
    evidence, patch = finding.evidence, finding.patch
    if status in (_S.NEW, _S.REOPENED) and evidence is not None and evidence.status is ProofStatus.CONFIRMED:
        steps.append(Transition(status, _S.CONFIRMED, f"proved: {evidence.reason}"))
        status = _S.CONFIRMED
    if (
        status in (_S.NEW, _S.REOPENED, _S.CONFIRMED)
        and patch is not None
        and patch.status is PatchStatus.VERIFIED
    ):
        steps.append(Transition(status, _S.PATCHED, f"verified patch: {patch.description}"))
    return steps


def accept(status: FindingStatus, reason: str, expires: date, today: date) -> Transition:
    """A person accepts the risk through `expires`; again, to change the reason or the day."""
    _need_reason(reason)
    if expires < today:
        raise TriageError(f"the acceptance would already have expired: {expires.isoformat()} is in the past")
    if status is _S.FIXED:
        raise TriageError("the finding is fixed; there is no risk left to accept")
    return Transition(status, _S.ACCEPTED_RISK, f"{reason.strip()} (accepted through {expires.isoformat()})")


def false_positive(status: FindingStatus, reason: str) -> Transition:
    _need_reason(reason)
    if status is _S.FALSE_POSITIVE:
        raise TriageError("the finding is already marked a false positive")
    return Transition(status, _S.FALSE_POSITIVE, reason.strip())


def reopen(status: FindingStatus, reason: str) -> Transition:
    _need_reason(reason)
    if status.is_open:
        raise TriageError(f"the finding is open already ({status.value})")
    return Transition(status, _S.REOPENED, reason.strip())


def expire(accepted_until: date, reason: str) -> Transition:
    """An accepted risk whose last day has passed reopens, and says why."""
    return Transition(
        _S.ACCEPTED_RISK,
        _S.REOPENED,
        f"{EXPIRED} after {accepted_until.isoformat()} (it was: {reason})",
    )


def _need_reason(reason: str) -> None:
    if not reason.strip():
        raise TriageError("a reason is required, so that others know why")
