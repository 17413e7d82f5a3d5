"""`firstpatch fix PATH` for code: the patches of a run, shown, chosen and written.

The run is a fresh scan of PATH or the newest stored run of it. A stored patch holds only its
diff, so each finding's fix is proposed again from the tree as it is now: when the new diff is
the stored one, the stored verification stands; otherwise the tree changed since the run and
the patch is verified again. Only verified patches are written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from firstpatch.model import Finding, FindingKind, Patch, PatchStatus, Run
from firstpatch.patch import Candidate, propose, verify_all
from firstpatch.patch.apply import (
    CodeFix,
    TreeStateError,
    apply_changes,
    commit_on_branch,
    uncommitted,
    write_patch_files,
)
from firstpatch.patch.interface import FileChange, PatchError, ProposedPatch
from firstpatch.patch.tree import copy_tree, reader, write_changes
from firstpatch.patch.verify import Rescan
from firstpatch.prove.interface import Driver

# Asks a yes/no question about one fix; True means yes.
Ask = Callable[[CodeFix], bool]


@dataclass(frozen=True, slots=True)
class FixOptions:
    apply: bool = False
    force: bool = False
    branch: str | None = None
    output: Path | None = None
    ask: Ask | None = None  # --interactive


@dataclass(frozen=True, slots=True)
class FixOutcome:
    fixes: tuple[CodeFix, ...]  # every code finding that has a patch, verified or not
    chosen: tuple[CodeFix, ...]  # the verified ones written, committed or saved
    applied: bool
    commits: tuple[str, ...] = ()
    patch_files: tuple[Path, ...] = ()


def code_fixes(root: Path, run: Run, drivers: dict[str, Driver], rescan: Rescan | None) -> Iterator[CodeFix]:
    """Each code finding of `run` that has a patch, with its changes against `root` as it is.
    Patches whose diff changed since the run are verified again, together (`verify_all`)."""
    kept: list[tuple[Finding, ProposedPatch, Patch | None]] = []
    for finding in run.findings:
        if finding.kind is not FindingKind.CODE or finding.patch is None:
            continue
        proposed = propose(root, finding)
        if proposed is None:
            continue  # the code at the sink changed: no fix fits it any more
        if proposed.diff == finding.patch.diff:
            kept.append((finding, proposed, finding.patch))
        elif finding.entry_point is not None and finding.entry_point.framework in drivers:
            kept.append((finding, proposed, None))
    again = [Candidate(finding, proposed) for finding, proposed, patch in kept if patch is None]
    verified = iter(verify_all(root, again, drivers, rescan=rescan) if again else [])
    for finding, proposed, stored in kept:
        patch = stored if stored is not None else next(verified)
        yield CodeFix(replace(finding, patch=patch), proposed.changes, patch)


def carry_out(root: Path, fixes: Sequence[CodeFix], options: FixOptions, rescan: Rescan) -> FixOutcome:
    """Choose the verified fixes (asking for each when `options.ask`), then save them as
    `.patch` files, commit them on a branch, and write them into the tree, as the options say.

    Fixes are applied one after another; one made from a file an earlier fix changed is
    proposed again on the changed text, its finding found again by fingerprint (`rescan`),
    since lines moved. The tree itself gets the end result, every file written at once."""
    verified = [fix for fix in fixes if fix.patch.status is PatchStatus.VERIFIED]
    chosen = [fix for fix in verified if options.ask is None or options.ask(fix)]
    if options.apply and chosen:
        dirty = uncommitted(root)
        if dirty and not options.force:
            shown = ", ".join(dirty[:5]) + (" and more" if len(dirty) > 5 else "")
            raise TreeStateError(
                f"{root}: uncommitted changes ({shown}); nothing was written (--force writes anyway)"
            )
    files: list[Path] = []
    if options.output is not None and chosen:
        files = write_patch_files(options.output, chosen)
    commits: list[str] = []
    if options.branch is not None and chosen:
        commits = commit_on_branch(
            root, options.branch, chosen, lambda tree, fix: _rebased(tree, fix, rescan)
        )
    applied = False
    if options.apply and chosen:
        with tempfile.TemporaryDirectory(prefix="firstpatch-apply-") as scratch:
            copy = copy_tree(root, Path(scratch) / "tree")
            touched: set[str] = set()
            for fix in chosen:
                changes = _rebased(copy, fix, rescan)
                write_changes(copy, changes)
                touched.update(change.path for change in changes)
            read_root, read_copy = reader(root), reader(copy)
            final = [
                FileChange(path, read_root(path) or "", read_copy(path) or "") for path in sorted(touched)
            ]
        apply_changes(root, final)
        applied = True
    return FixOutcome(tuple(fixes), tuple(chosen), applied, tuple(commits), tuple(files))


def _rebased(tree: Path, fix: CodeFix, rescan: Rescan) -> tuple[FileChange, ...]:
    """`fix`'s changes as they apply to `tree` now."""
    read = reader(tree)
    if all(read(change.path) == change.before for change in fix.changes):
        return fix.changes
    again = next((f for f in rescan(tree) if f.fingerprint == fix.finding.fingerprint), None)
    proposed = propose(tree, again) if again is not None else None
    if proposed is None:
        raise PatchError(f"{fix.title}: no longer applies after the fixes before it; scan again")
    return proposed.changes
