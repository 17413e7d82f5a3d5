"""The one exception tree of firstpatch, and the exit codes its errors carry.

    FirstpatchError                     exit 3 unless a subclass says otherwise
    ├── UsageError                      exit 2: a bad option or argument
    ├── TargetError                     exit 2: a missing path, a path that holds no project
    ├── inventory.InventoryError        exit 2: a manifest that cannot be read
    ├── advisories.AdvisoryError        exit 2: an advisory record or feed that cannot be read
    ├── analysis.AnalysisError          exit 3
    ├── prove.ProveError                exit 3
    │   └── EnvironmentUnavailable      exit 2: the target's interpreter or requirements cannot be had
    ├── patch.PatchError                exit 3
    │   └── TreeStateError              exit 2: uncommitted changes where a patch would be written
    ├── report.ReportError              exit 2: an output that cannot be written
    │   └── InvalidReportError          exit 3: our own output broke its schema
    ├── store.StoreError                exit 2: a database that cannot be opened
    │   └── NotFoundError, TriageError, PolicyError
    ├── web.WebError                    exit 2: the dashboard cannot start or an account is refused
    │   └── AccountError
    ├── agent.AgentError                exit 3
    │   └── AgentConfigError, ProviderError   exit 2: bad configuration, or the provider refuses
    └── fleet.FleetError                exit 2: a target list or cluster that cannot be used
        └── CheckoutError
            └── TransientCheckoutError  retried: a clone that failed for a passing reason

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
