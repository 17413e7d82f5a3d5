"""One fleet target, scanned inside a Ray worker: the function Ray runs, and what it returns.

A folder, a clone or an SBOM goes through the pipeline of `firstpatch scan`
(`firstpatch.scan.scan`), a root filesystem through `fleet.installed`; the run comes back as
data, and the driver alone writes to the store. A failure that is the target's (missing, not a
project, a clone refused, too slow, too big) comes back as `Failed` with its reason. A clone
that failed for a transient reason is raised instead, so that Ray's retry policy runs the task
again; anything else raised is a bug, which the driver records with its type.

The scan pipeline is imported by the first task a worker process runs, which keeps it for every
later task (the driver, which only needs this module's types, never imports it), and before the
memory limit is set: a `MemoryError` halfway through an import would leave the worker with
half-made modules for its next tasks.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from firstpatch import __version__
from firstpatch.errors import FirstpatchError
from firstpatch.fleet.checkout import cloned, folder_revision, remote_commit, staged
from firstpatch.fleet.identity import run_id_for, scan_configuration
from firstpatch.fleet.interface import FleetTarget, TargetKind, TransientCheckoutError
from firstpatch.fleet.limits import Deadline, memory_limit
from firstpatch.model import Run
from firstpatch.target import Target

if TYPE_CHECKING:
    from firstpatch.advisories.assess import AdvisoryData

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class TaskSettings:
    prove: bool
    patch: bool
    configuration: str  # the driver's `scan_configuration`: a worker that disagrees refuses
    timeout: float  # seconds
    memory_bytes: int
    workdir: str  # the fleet's folder in each node's temporary folder, for clones


@dataclass(frozen=True, slots=True)
class Scanned:
    revision: str
    run: Run  # named after the target, with an id that repeats for the same scan


@dataclass(frozen=True, slots=True)
class Unchanged:
    """The target is at a revision this configuration has scanned already."""

    revision: str


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str
    revision: str | None = None


Outcome: TypeAlias = Scanned | Unchanged | Failed


def scan_target(target: FleetTarget, settings: TaskSettings, seen: frozenset[str]) -> Outcome:
    """Scan `target` unless it is at one of the `seen` revisions."""
    configuration = scan_configuration(settings.prove, settings.patch)
    if configuration != settings.configuration:
        return Failed(
            f"this worker's firstpatch {__version__} scans with configuration {configuration}, the "
            f"driver's with {settings.configuration}: install the same firstpatch on every node"
        )
    import firstpatch.fleet.installed
    import firstpatch.scan  # noqa: F401  (both: see the module's docstring)

    outcome: Outcome
    with Deadline(settings.timeout) as deadline:
        try:
            with memory_limit(settings.memory_bytes):
                outcome = _scan(target, settings, seen)
        except MemoryError:
            outcome = Failed(f"exceeded its memory limit of {settings.memory_bytes // MIB} MiB")
        except FirstpatchError as exc:
            if isinstance(exc, TransientCheckoutError) and not deadline.expired:
                raise  # for Ray's retry policy to run the task again
            outcome = Failed(str(exc))
    if deadline.expired:
        # Whatever the scan made of its killed children, the task did not finish in time.
        return Failed(f"timed out after {settings.timeout:g} s", outcome.revision)
    return outcome


def remove_workdir(name: str) -> None:
    """Remove a fleet's folder from this node's temporary folder: clones of killed tasks stay there."""
    shutil.rmtree(Path(tempfile.gettempdir()) / name, ignore_errors=True)


def _scan(target: FleetTarget, settings: TaskSettings, seen: frozenset[str]) -> Outcome:
    workdir = Path(tempfile.gettempdir()) / settings.workdir
    match target.kind:
        case TargetKind.GIT:
            # Asking the remote first spares a clone of a repository that has not moved.
            commit = remote_commit(target.location, target.ref)
            if commit is not None and commit in seen:
                return Unchanged(commit)
            with cloned(target.location, target.ref, workdir) as (root, commit):
                return Unchanged(commit) if commit in seen else _scanned(target, root, commit, settings)
        case TargetKind.SBOM:
            # The scan reads an SBOM in a folder by its name or content, as in a project.
            with staged(Path(target.location), workdir) as root:
                revision = folder_revision(root)
                return Unchanged(revision) if revision in seen else _scanned(target, root, revision, settings)
        case TargetKind.ROOTFS:
            return _rootfs(target, settings, seen)
    root = Target.open(target.location).root  # a missing or unreadable folder is a TargetError
    revision = folder_revision(root)
    return Unchanged(revision) if revision in seen else _scanned(target, root, revision, settings)


def _scanned(target: FleetTarget, root: Path, revision: str, settings: TaskSettings) -> Scanned:
    from firstpatch.scan import ScanOptions, scan

    options = ScanOptions(
        prove=settings.prove,
        patch=settings.patch and settings.prove,
        jobs=1,  # Ray gave the task one CPU; the fleet uses the others for other targets
        advisories=_advisories(),
    )
    outcome = scan(root, options)
    return Scanned(revision, _named(outcome.run, target, revision, settings))


_ADVISORIES: AdvisoryData | None = None


def _advisories() -> AdvisoryData:
    """This worker's advisory data, opened by its first task and kept for the later ones: the
    node's advisory store and the records of the shipped snapshot read so far."""
    global _ADVISORIES  # noqa: PLW0603 - one per worker process, as Ray reuses workers
    if _ADVISORIES is None:
        from firstpatch.advisories.assess import AdvisoryData

        _ADVISORIES = AdvisoryData()
    return _ADVISORIES


def _rootfs(target: FleetTarget, settings: TaskSettings, seen: frozenset[str]) -> Outcome:
    from firstpatch.fleet.installed import installed_revision, rootfs_run
    from firstpatch.inventory import rootfs_components

    root = Path(target.location)
    components, problems = rootfs_components(root)  # a TargetError when it is no folder
    revision = installed_revision(components)
    if revision in seen:
        return Unchanged(revision)
    return Scanned(revision, _named(rootfs_run(root, components, problems), target, revision, settings))


def _named(run: Run, target: FleetTarget, revision: str, settings: TaskSettings) -> Run:
    return replace(
        run,
        id=run_id_for(target.name, revision, settings.configuration),
        target=target.name,  # not a temporary folder's path: the project is the same every night
    )
