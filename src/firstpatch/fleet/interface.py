"""The fleet's errors and the kinds of target a fleet list names.

Errors::

    FleetError              exit 2: a target list that cannot be read, Ray missing or unreachable
    └── CheckoutError       a git target that cannot be cloned (recorded as the target's failure)
        └── TransientCheckoutError   a clone that failed for a reason worth retrying
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from firstpatch.errors import ExitCode, FirstpatchError


class FleetError(FirstpatchError):
    exit_code = ExitCode.USAGE


class CheckoutError(FleetError):
    """A git target that cannot be listed or cloned; the message is git's own complaint."""


class TransientCheckoutError(CheckoutError):
    """The remote could not be reached right now (DNS, refused or dropped connection): Ray retries
    the task, since the same clone may well work a moment later."""


class TargetKind(enum.StrEnum):
    PATH = "path"  # a local folder, scanned in place
    GIT = "git"  # a repository URL, cloned shallowly into a temporary folder
    ROOTFS = "rootfs"  # an unpacked root filesystem (an image, a host)
    SBOM = "sbom"  # a CycloneDX or SPDX document


@dataclass(frozen=True, slots=True)
class FleetTarget:
    """One entry of a fleet list: what to scan, and its own limits where it has them."""

    kind: TargetKind
    location: str  # an absolute path, or a git URL
    ref: str | None = None  # a branch or tag of a git target
    timeout: float | None = None  # seconds; None takes the fleet's
    memory_mb: int | None = None  # None takes the fleet's

    @property
    def name(self) -> str:
        """The project name the store files the target's runs under: stable across fleet runs."""
        return f"{self.location}#{self.ref}" if self.ref else self.location
