"""Ray for a fleet: join a cluster that runs already, or start a local instance for the run.

Ray is an optional dependency (`pip install 'firstpatch[fleet]'`); it is imported only here and
in the driver, so that the rest of firstpatch works without it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

from firstpatch.errors import UsageError
from firstpatch.fleet.interface import FleetError


@dataclass(frozen=True, slots=True)
class Cluster:
    description: str  # for the user: what the fleet runs on
    cpus: int
    memory_bytes: int  # Ray's schedulable memory across the nodes


def import_ray() -> ModuleType:
    try:
        import ray
    except ImportError as exc:
        raise FleetError(
            "firstpatch fleet runs on Ray, which is not installed: pip install 'firstpatch[fleet]'"
        ) from exc
    return ray


def default_workers() -> int:
    """One worker per core this process may run on (the affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextmanager
def ray_cluster(address: str | None = None, workers: int | None = None) -> Iterator[Cluster]:
    """Ray for the block: the cluster at `address`, else a local instance with `workers` CPUs
    (default: one per core) that is shut down afterwards. A process that is already connected
    (a test session, a notebook) keeps its connection and Ray stays up."""
    ray = import_ray()
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    if ray.is_initialized():
        yield _describe(ray, "the connected Ray cluster")
        return
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            # "local": a new instance even when `ray start` left one running on this machine.
            ray.init(address="local", num_cpus=workers or default_workers(), include_dashboard=False, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise FleetError(f"cannot start or join {where}: {_why(exc)}") from exc
    try:
        yield _describe(ray, f"the Ray cluster at {address}" if address else "a local Ray instance")
    finally:
        ray.shutdown()


def _describe(ray: ModuleType, what: str) -> Cluster:
    resources = ray.cluster_resources()
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    cpus = int(resources.get("CPU", 0))
    description = f"{what}: {cpus} CPU{'s' if cpus != 1 else ''} on {nodes} node{'s' if nodes != 1 else ''}"
    return Cluster(description, cpus, int(resources.get("memory", 0)))


def _why(exc: BaseException) -> str:
    # Ray words a refused token deep in the chain of causes, after a long wait.
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__
    if any("InvalidAuthToken" in str(link) or type(link).__name__ == "AuthenticationError" for link in chain):
        return (
            "it refused our token: set RAY_AUTH_MODE=token and give the cluster's token in "
            "RAY_AUTH_TOKEN or ~/.ray/auth_token"
        )
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
