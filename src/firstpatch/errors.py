"""The one exception tree of firstpatch, and the exit codes its errors carry.

    FirstpatchError                 exit 3 unless a subclass says otherwise
    ├── UsageError                  exit 2: a bad option or argument
    ├── TargetError                 exit 2: a missing path, a path that holds no project
    ├── inventory.InventoryError    exit 2: a manifest that cannot be read
    ├── advisories.AdvisoryError    exit 2: an advisory record or feed that cannot be read
    ├── analysis.AnalysisError      exit 3
    ├── prove.ProveError            exit 3
    ├── patch.PatchError            exit 3
    ├── report.ReportError          exit 2: an output that cannot be written
    └── store.StoreError            exit 2: a database that cannot be opened

Each seam's root lives in its `interface.py`; third-party exceptions are translated at the
boundary with `raise ... from exc`, so the CLI only ever handles this tree.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3


class FirstpatchError(Exception):
    """Root of every error firstpatch raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(FirstpatchError):
    exit_code = ExitCode.USAGE


class TargetError(FirstpatchError):
    """The scan target cannot be used: missing, unreadable, or not a project."""

    exit_code = ExitCode.USAGE
