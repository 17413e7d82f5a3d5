"""The fleet's driver: every target a Ray task, every result into the store as it arrives.

Ray schedules, places, retries and kills; the driver only keeps as many tasks in flight as the
cluster has room for (so that a task's clock starts when it can run), saves each outcome the
moment it is ready, and kills a task that outlives its time. A target a re-run has seen at the
same revision, with the same configuration, is not scanned again: that is what makes a fleet
stopped with Ctrl-C resume where it was.
"""

from __future__ import annotations

import functools
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any, Protocol

from firstpatch.fleet.cluster import import_ray
from firstpatch.fleet.identity import scan_configuration
from firstpatch.fleet.interface import FleetError, FleetTarget, TargetKind, TransientCheckoutError
from firstpatch.fleet.ledger import FleetLedger, FleetRecord, FleetState, TaskState
from firstpatch.fleet.task import (
    MIB,
    Failed,
    Outcome,
    Scanned,
    TaskSettings,
    Unchanged,
    remove_workdir,
    scan_target,
)
from firstpatch.model import Run
from firstpatch.store import Store, StoreError, open_store

# How long after its own deadline a task that has not returned is killed with its worker: the
# task stops what it started at its deadline and normally returns well within this.
KILL_GRACE_SECONDS = 10.0
_POLL_SECONDS = 1.0
_CLEANUP_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class FleetSettings:
    prove: bool = False
    patch: bool = True  # with prove only, as in `firstpatch scan`
    timeout: float = 900.0  # seconds per target
    memory_mb: int = 2048  # per target
    retries: int = 2  # for transient failures: a clone that could not connect, a worker that died


class Observer(Protocol):
    def started(self, target: FleetTarget) -> None: ...

    def settled(self, target: FleetTarget, state: TaskState, detail: str) -> None: ...


class _Silent:
    def started(self, target: FleetTarget) -> None:
        pass

    def settled(self, target: FleetTarget, state: TaskState, detail: str) -> None:
        pass


@dataclass(slots=True)
class _Flight:
    position: int
    target: FleetTarget
    timeout: float
    deadline: float  # time.monotonic() after which the driver kills the task


def run_fleet(
    targets: Sequence[FleetTarget],
    settings: FleetSettings,
    store_url: str,
    *,
    source: str,
    observer: Observer | None = None,
) -> FleetRecord:
    """Scan `targets` on the connected Ray cluster into the store at `store_url`; the fleet run
    as recorded. Ctrl-C stops it cleanly (its state is then `interrupted`)."""
    ray = import_ray()
    if not ray.is_initialized():
        raise FleetError("not connected to Ray: run the fleet inside ray_cluster()")
    if not targets:
        raise FleetError(f"{source}: lists no targets")
    configuration = scan_configuration(settings.prove, settings.patch)
    with FleetLedger(store_url) as ledger:
        store = open_store(store_url)
        try:
            fleet_id = ledger.begin(source, targets, configuration, asdict(settings))
            driver = _Driver(ray, ledger, store, fleet_id, configuration, settings, observer or _Silent())
            return ledger.end(fleet_id, driver.run(targets))
        finally:
            store.close()


@functools.cache
def _remote(ray: ModuleType, function: Callable[..., Any]) -> Any:
    """Ray's handle for `function`, made once per process: each new handle pickles the function
    and exports it to the cluster again, a few milliseconds per fleet. (Ray exports it again by
    itself when the handle is used in a new job.)"""
    return ray.remote(function)


class _Driver:
    def __init__(
        self,
        ray: ModuleType,
        ledger: FleetLedger,
        store: Store,
        fleet_id: str,
        configuration: str,
        settings: FleetSettings,
        observer: Observer,
    ) -> None:
        self.ray = ray
        self.ledger = ledger
        self.store = store
        self.fleet_id = fleet_id
        self.configuration = configuration
        self.settings = settings
        self.observer = observer
        self.workdir = f"firstpatch-fleet-{fleet_id}"
        self.flights: dict[Any, _Flight] = {}
        self.seen: dict[str, dict[str, str]] = {}
        # Clones and staged SBOMs live in a fleet folder on each node, which a task that was
        # killed could not empty: swept at the end when there may be one.
        self.sweep = False

    def run(self, targets: Sequence[FleetTarget]) -> FleetState:
        self.seen = self.ledger.scanned([target.name for target in targets], self.configuration)
        self.sweep = any(target.kind in (TargetKind.GIT, TargetKind.SBOM) for target in targets)
        queue = deque(enumerate(targets))
        task = _remote(self.ray, scan_target)
        capacity = self._capacity()
        try:
            while queue or self.flights:
                while queue and len(self.flights) < capacity:
                    self._submit(task, *queue.popleft())
                self._collect()
                self._expire()
        except KeyboardInterrupt:
            self._stop()
            return FleetState.INTERRUPTED
        except StoreError:
            with suppress(StoreError):
                self._stop()
                self.ledger.end(self.fleet_id, FleetState.ABORTED)
            raise
        finally:
            if self.sweep:
                self._clean_nodes()
        return FleetState.FINISHED

    def _capacity(self) -> int:
        """Tasks that can run at once: one per CPU, fewer if memory reservations do not fit."""
        resources = self.ray.cluster_resources()
        slots = int(resources.get("CPU", 1))
        memory = int(resources.get("memory", 0))
        if memory:
            slots = min(slots, memory // (self.settings.memory_mb * MIB))
        return max(1, slots)

    def _submit(self, task: Any, position: int, target: FleetTarget) -> None:
        timeout = target.timeout or self.settings.timeout
        memory = (target.memory_mb or self.settings.memory_mb) * MIB
        task_settings = TaskSettings(
            prove=self.settings.prove,
            patch=self.settings.patch,
            configuration=self.configuration,
            timeout=timeout,
            memory_bytes=memory,
            workdir=self.workdir,
        )
        seen = frozenset(self.seen.get(target.name, {}))
        ref = task.options(
            name=f"firstpatch scan {target.name}",
            num_cpus=1,
            memory=memory,
            max_retries=self.settings.retries,
            retry_exceptions=[TransientCheckoutError],
        ).remote(target, task_settings, seen)
        self.flights[ref] = _Flight(
            position, target, timeout, time.monotonic() + timeout + KILL_GRACE_SECONDS
        )
        self.ledger.started(self.fleet_id, position)
        self.observer.started(target)

    def _collect(self) -> None:
        """Wait for a task to finish (or a deadline to pass) and settle every finished one."""
        refs = list(self.flights)
        nearest = min(flight.deadline for flight in self.flights.values())
        wait = min(_POLL_SECONDS, max(0.0, nearest - time.monotonic()))
        ready, _ = self.ray.wait(refs, num_returns=1, timeout=wait)
        if ready:
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        for ref in ready:
            flight = self.flights.pop(ref)
            self._settle(flight, self._outcome(ref))

    def _expire(self) -> None:
        now = time.monotonic()
        for ref, flight in list(self.flights.items()):
            if now >= flight.deadline:
                self.ray.cancel(ref, force=True)
                self.sweep = True
                del self.flights[ref]
                self._settle(flight, Failed(f"timed out after {flight.timeout:g} s; its worker was killed"))

    def _outcome(self, ref: Any) -> Outcome:
        errors = self.ray.exceptions
        try:
            outcome: Outcome = self.ray.get(ref)
        except errors.RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, TransientCheckoutError):
                attempts = self.settings.retries + 1
                return Failed(f"{cause} ({attempts} attempt{'s' * (attempts != 1)})")
            return Failed(f"internal error: {type(cause).__name__}: {cause}")
        except errors.RayError as exc:
            # The worker or its node died (Ray's own OOM killer, a lost node) past Ray's retries.
            self.sweep = True
            lines = str(exc).strip().splitlines()
            return Failed(f"its worker died: {lines[0] if lines else type(exc).__name__}")
        return outcome

    def _settle(self, flight: _Flight, outcome: Outcome) -> None:
        name = flight.target.name
        match outcome:
            case Scanned(revision=revision, run=run):
                self._save(run)
                self.ledger.scanned_into(
                    self.fleet_id, flight.position, name, revision, self.configuration, run.id
                )
                count = len(run.findings)
                self.observer.settled(flight.target, TaskState.DONE, f"{count} finding{'s' * (count != 1)}")
            case Unchanged(revision=revision):
                run_id = self.seen.get(name, {}).get(revision)
                self.ledger.settle(self.fleet_id, flight.position, TaskState.UNCHANGED, revision, run_id)
                self.observer.settled(flight.target, TaskState.UNCHANGED, f"at {revision[:19]}")
            case Failed(reason=reason, revision=revision):
                self.ledger.settle(self.fleet_id, flight.position, TaskState.FAILED, revision, reason=reason)
                self.observer.settled(flight.target, TaskState.FAILED, reason)

    def _save(self, run: Run) -> None:
        try:
            self.store.save_run(run)
        except StoreError as refused:
            # The same scan saved before (a fleet stopped between saving and recording it, or a
            # second fleet on the same targets): its id repeats, so the store holds it once.
            try:
                self.store.load_run(run.id)
            except StoreError:
                raise refused from None

    def _stop(self) -> None:
        """Kill every task in flight; they are pending again for the next run."""
        positions = [flight.position for flight in self.flights.values()]
        self.sweep = self.sweep or bool(self.flights)
        for ref in self.flights:
            with suppress(self.ray.exceptions.RayError):
                self.ray.cancel(ref, force=True)
        self.flights.clear()
        self.ledger.requeue(self.fleet_id, positions)

    def _clean_nodes(self) -> None:
        """Remove this fleet's folder on every node: tasks remove what they made inside it."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        cleanup = _remote(self.ray, remove_workdir)
        with suppress(self.ray.exceptions.RayError):
            refs = [
                cleanup.options(
                    num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
                ).remote(self.workdir)
                for node in self.ray.nodes()
                if node.get("Alive")
            ]
            self.ray.wait(refs, num_returns=len(refs), timeout=_CLEANUP_SECONDS)
