"""Root filesystems in a fleet: what is installed, matched against known vulnerabilities.

`firstpatch scan` reads a project's files and has no mode for an image or a host yet; the
inventory reads one (`inventory.rootfs_components`: dpkg, apk, rpm and the system Python's
packages). This composes it with the same matching and ranking a scan applies to a project's
dependencies, and belongs in `firstpatch.scan` once the scan grows a root-filesystem mode. No code
is analysed: the run's stages say so, and the store leaves a project's code findings alone.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

from firstpatch import __version__
from firstpatch.advisories.findings import audit
from firstpatch.advisories.snapshot import SnapshotSource
from firstpatch.model import Component, Run, RunId, Skipped
from firstpatch.rank import ranked


def installed_revision(components: tuple[Component, ...]) -> str:
    """What a root filesystem holds, for matching: its packages and versions. An image rebuilt
    with the same packages is the same revision; one more package or an upgrade is a new one."""
    digest = hashlib.sha256()
    for purl in sorted(component.purl for component in components):
        digest.update(f"{purl}\0".encode())
    return f"packages:{digest.hexdigest()}"


def rootfs_run(path: Path, components: tuple[Component, ...], problems: tuple[Skipped, ...]) -> Run:
    started = datetime.now(UTC)
    known = audit(components, SnapshotSource())
    return Run(
        id=RunId(uuid.uuid4().hex),
        target=str(path),
        started=started,
        finished=datetime.now(UTC),
        tool_version=__version__,
        findings=ranked(known.findings),
        components=components,
        skipped=(*problems, *known.skipped),
        stages=("inventory", "advisories", "rank"),
    )
