"""Scan a fleet of targets on Ray, each target a task, every result into one store.

`read_targets` reads a list, `ray_cluster` joins a cluster or starts a local Ray, `run_fleet`
scans, and `fleet_status` summarises a fleet run with the open findings across its projects.
Ray is the optional `fleet` extra; nothing here imports it until a fleet runs.
"""

from firstpatch.fleet.cluster import Cluster, default_workers, ray_cluster
from firstpatch.fleet.interface import (
    CheckoutError,
    FleetError,
    FleetTarget,
    TargetKind,
    TransientCheckoutError,
)
from firstpatch.fleet.ledger import FleetLedger, FleetRecord, FleetState, TaskRecord, TaskState
from firstpatch.fleet.runner import FleetSettings, Observer, run_fleet
from firstpatch.fleet.status import SEVERITIES, FleetStatus, ProjectFindings, fleet_status
from firstpatch.fleet.targets import TargetList, parse_line, read_targets

__all__ = [
    "SEVERITIES",
    "CheckoutError",
    "Cluster",
    "FleetError",
    "FleetLedger",
    "FleetRecord",
    "FleetSettings",
    "FleetState",
    "FleetStatus",
    "FleetTarget",
    "Observer",
    "ProjectFindings",
    "TargetKind",
    "TargetList",
    "TaskRecord",
    "TaskState",
    "TransientCheckoutError",
    "default_workers",
    "fleet_status",
    "parse_line",
    "ray_cluster",
    "read_targets",
    "run_fleet",
]
