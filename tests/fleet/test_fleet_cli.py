"""`firstpatch fleet` as a user meets it: Ctrl-C and resume, status, and one-line errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fleet_helpers import demo_copy, git_daemon, git_repo, processes_mentioning, stalled_server

from firstpatch.fleet import Cluster, FleetLedger, FleetRecord, FleetState, TaskState, read_targets, run_fleet
from firstpatch.fleet.runner import FleetSettings
from firstpatch.store import StoreError, open_store


def firstpatch(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "firstpatch", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "firstpatch", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def wait_for(what: str, check: Callable[[], bool], seconds: float = 120) -> None:
    """Poll until `check()` holds; a test fails, never hangs, if it does not."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)


def newest_fleet(url: str) -> FleetRecord | None:
    try:
        with FleetLedger(url) as ledger:
            return ledger.fleet()
    except StoreError:
        return None


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_a_rerun_resumes(
    ray_session: Cluster, fleet_db: str, tmp_path: Path
) -> None:
    import ray

    address = ray.get_runtime_context().gcs_address
    demo = demo_copy(tmp_path / "demo")
    git_repo(tmp_path / "served" / "app")
    listed = tmp_path / "TARGETS.txt"
    with stalled_server() as port:
        hanging = f"git://127.0.0.1:{port}/app"
        listed.write_text(f"{demo}\n{hanging}\n")
        scan = firstpatch("fleet", "scan", listed, "--db", fleet_db, "--ray-address", address)
        try:

            def demo_done_and_clone_hanging() -> bool:
                fleet = newest_fleet(fleet_db)
                states = {task.target: task.state for task in fleet.tasks} if fleet else {}
                return states == {str(demo): TaskState.DONE, hanging: TaskState.RUNNING}

            wait_for("the demo to be scanned while the clone hangs", demo_done_and_clone_hanging)
            scan.send_signal(signal.SIGINT)
            out, err = scan.communicate(timeout=120)
        finally:
            scan.kill()
            scan.wait()
        assert scan.returncode == 130, err
        assert "Traceback" not in err
        assert "interrupted: 1 scanned, 0 unchanged, 0 failed, 1 pending" in out

        stopped = newest_fleet(fleet_db)
        assert stopped is not None
        assert stopped.state is FleetState.INTERRUPTED
        assert {task.target: task.state for task in stopped.tasks} == {
            str(demo): TaskState.DONE,
            hanging: TaskState.PENDING,
        }
        # The killed task's git went with its worker.
        wait_for("the hanging git to end", lambda: not processes_mentioning(f"127.0.0.1:{port}"), seconds=60)

    # The server is back: the re-run scans only what was not done.
    with git_daemon(tmp_path / "served", port=port):
        rerun = run_fleet(read_targets(listed).targets, FleetSettings(), fleet_db, source=str(listed))
    assert {task.target: task.state for task in rerun.tasks} == {
        str(demo): TaskState.UNCHANGED,
        hanging: TaskState.DONE,
    }
    store = open_store(fleet_db)
    try:
        assert [len(store.runs(name)) for name in (str(demo), hanging)] == [1, 1]
    finally:
        store.close()


@pytest.mark.slow
def test_status_names_each_failure_with_its_reason(
    ray_session: Cluster, fleet_db: str, tmp_path: Path
) -> None:
    demo = demo_copy(tmp_path / "demo")
    listed = tmp_path / "TARGETS.txt"
    listed.write_text(f"{demo}\n{tmp_path}/gone\nrootfs:/srv/image\n")
    record = run_fleet(read_targets(listed).targets, FleetSettings(retries=0), fleet_db, source=str(listed))

    status = finished("fleet", "status", "--db", fleet_db, "--fleet", record.id[:10])
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].startswith(f"fleet {record.id} from {listed}: finished")
    assert lines[1] == "3 targets: 0 pending, 0 running, 1 done, 0 unchanged, 2 failed"
    assert f"failed   {tmp_path}/gone: {tmp_path}/gone: no such file or directory" in lines
    assert "failed   /srv/image: /srv/image: not a root filesystem folder" in lines
    assert "Open findings across 1 project: 11" in status.stdout

    document = json.loads(finished("fleet", "status", "--db", fleet_db, "--format", "json").stdout)
    assert document["fleet"]["id"] == record.id
    assert document["counts"] == {"pending": 0, "running": 0, "done": 1, "unchanged": 0, "failed": 2}
    reasons = {task["target"]: task["reason"] for task in document["tasks"]}
    assert reasons == {
        str(demo): None,
        f"{tmp_path}/gone": f"{tmp_path}/gone: no such file or directory",
        "/srv/image": "/srv/image: not a root filesystem folder",
    }
    (project,) = document["open_findings"]["projects"]
    assert project["target"] == str(demo)
    assert project["total"] == document["open_findings"]["total"] == 11
    assert project["by_severity"]["critical"] == document["open_findings"]["by_severity"]["critical"] > 0


def test_a_list_with_no_usable_entry_is_an_error_per_line(tmp_path: Path) -> None:
    listed = tmp_path / "TARGETS.yaml"
    listed.write_text("targets:\n  - git: -x\n  - path: a\n    colour: red\n")
    result = finished("fleet", "scan", listed, "--db", f"sqlite:///{tmp_path}/db.sqlite")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"firstpatch: error: {listed}:2: '-x': not a git URL",
        f"firstpatch: error: {listed}:3: unknown key 'colour' (expected path, git, rootfs or sbom, "
        "and ref, timeout, memory_mb)",
        f"firstpatch: error: {listed}: no targets to scan",
    ]


def test_workers_and_a_cluster_address_do_not_mix(tmp_path: Path) -> None:
    listed = tmp_path / "TARGETS.txt"
    listed.write_text("a\n")
    result = finished("fleet", "scan", listed, "--ray-address", "127.0.0.1:1", "--workers", "2")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "firstpatch: error: --workers sizes a local Ray instance; "
        "a cluster joined with --ray-address has its own"
    ]


def test_status_without_a_fleet_run_is_a_one_line_error(tmp_path: Path) -> None:
    result = finished("fleet", "status", "--db", f"sqlite:///{tmp_path}/db.sqlite")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"firstpatch: error: no fleet run yet in sqlite:///{tmp_path}/db.sqlite"
    ]
