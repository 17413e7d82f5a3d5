"""Fleets on a real local Ray instance into a real PostgreSQL store: what the store holds after a
run, after a re-run, and after targets change; failures, timeouts, retries and memory limits."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from fleet_helpers import (
    FlakyProxy,
    commit_file,
    demo_copy,
    git_daemon,
    git_repo,
    processes_mentioning,
    stalled_server,
)

from firstpatch.fleet import (
    Cluster,
    FleetLedger,
    FleetRecord,
    FleetSettings,
    FleetTarget,
    TaskState,
    read_targets,
    run_fleet,
)
from firstpatch.model import Run
from firstpatch.scan import ScanOptions, scan
from firstpatch.store import open_store

pytestmark = pytest.mark.slow

NO_PROOF = FleetSettings(prove=False, timeout=120, retries=0)
ROOTFS = Path(__file__).parents[1] / "inventory" / "data" / "rootfs" / "debian"
PAYMENTS_SBOM = """\
{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
 "components": [
  {"type": "library", "bom-ref": "flask", "name": "flask", "version": "0.12", "purl": "pkg:pypi/flask@0.12"}
 ]}
"""


def _findings(run: Run) -> list[tuple[str, str, int, str]]:
    return sorted((f.rule_id, f.location.path, f.location.line, f.fingerprint) for f in run.findings)


def _places(run: Run) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.location.path, f.location.line) for f in run.findings}


def _states(record: FleetRecord) -> dict[str, TaskState]:
    return {task.target: task.state for task in record.tasks}


def _reasons(record: FleetRecord) -> dict[str, str]:
    return {task.target: task.reason or "" for task in record.tasks if task.state is TaskState.FAILED}


def test_a_fleet_keeps_every_result_and_a_rerun_adds_nothing(
    ray_session: Cluster, fleet_db: str, tmp_path: Path
) -> None:
    demo = demo_copy(tmp_path / "demo")
    repo = git_repo(tmp_path / "repo")
    image = shutil.copytree(ROOTFS, tmp_path / "image", symlinks=True)
    (tmp_path / "boms").mkdir()
    (tmp_path / "boms" / "payments.cdx.json").write_text(PAYMENTS_SBOM)
    (tmp_path / "plain").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.txt").write_text("no code here\n")
    listed = tmp_path / "TARGETS.yaml"
    listed.write_text(
        "targets:\n"
        "  - demo\n"
        f"  - git: file://{repo}\n"
        "    ref: main\n"
        "  - rootfs: image\n"
        "  - boms/payments.cdx.json\n"
        "  - missing\n"
        f"  - file://{tmp_path}/plain\n"
        "  - empty\n"
        "  - rootfs: no-image\n"
        "  - sbom: boms/missing.cdx.json\n"
    )
    targets = read_targets(listed).targets
    scanned = [str(demo), f"file://{repo}#main", str(image), f"{tmp_path}/boms/payments.cdx.json"]

    first = run_fleet(targets, NO_PROOF, fleet_db, source=str(listed))

    assert first.state == "finished"
    assert not (Path(tempfile.gettempdir()) / f"firstpatch-fleet-{first.id}").exists()
    assert _states(first) == {
        **dict.fromkeys(scanned, TaskState.DONE),
        f"{tmp_path}/missing": TaskState.FAILED,
        f"file://{tmp_path}/plain": TaskState.FAILED,
        f"{tmp_path}/empty": TaskState.FAILED,
        f"{tmp_path}/no-image": TaskState.FAILED,
        f"{tmp_path}/boms/missing.cdx.json": TaskState.FAILED,
    }
    reasons = _reasons(first)
    assert reasons[f"{tmp_path}/missing"] == f"{tmp_path}/missing: no such file or directory"
    assert reasons[f"file://{tmp_path}/plain"] == (
        f"git ls-remote: '{tmp_path}/plain' does not appear to be a git repository"
    )
    assert "holds no Python project" in reasons[f"{tmp_path}/empty"]
    assert reasons[f"{tmp_path}/no-image"] == f"{tmp_path}/no-image: not a root filesystem folder"
    assert reasons[f"{tmp_path}/boms/missing.cdx.json"] == (
        f"{tmp_path}/boms/missing.cdx.json: cannot read: No such file or directory"
    )

    # Each success is in the store under its target's name, with exactly what `firstpatch scan` finds.
    expected = _findings(scan(demo, ScanOptions(prove=False, patch=False)).run)
    assert ("py/command-injection", "app.py") in {(rule, path) for rule, path, _, _ in expected}
    assert ("PYSEC-2018-66", "requirements.txt") in {(rule, path) for rule, path, _, _ in expected}
    store = open_store(fleet_db)
    try:
        runs = {name: store.runs(name) for name in scanned}
        assert {name: len(found) for name, found in runs.items()} == dict.fromkeys(scanned, 1)
        for name, (run,) in runs.items():
            assert run.target == name
        for name in scanned[:2]:
            assert _findings(runs[name][0]) == expected
        # The image: its system Python's packages, matched as a project's dependencies are.
        (image_run,) = runs[str(image)]
        assert _places(image_run) == {
            ("PYSEC-2023-62", "usr/local/lib/python3.11/dist-packages/flask-2.2.2.dist-info/METADATA", 3),
            ("PYSEC-2023-74", "usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA", 3),
        }
        assert image_run.stages == ("inventory", "advisories", "rank")
        assert "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12" in {
            component.purl for component in image_run.components
        }
        (sbom_run,) = runs[f"{tmp_path}/boms/payments.cdx.json"]
        assert _places(sbom_run) == {("PYSEC-2018-66", "payments.cdx.json", 3)}
        run_ids = {task.target: task.run_id for task in first.tasks if task.state is TaskState.DONE}
        assert run_ids == {name: runs[name][0].id for name in scanned}

        # The same list again: nothing scanned twice, failures tried again.
        second = run_fleet(targets, NO_PROOF, fleet_db, source=str(listed))
        assert _states(second) == {**_states(first), **dict.fromkeys(scanned, TaskState.UNCHANGED)}
        assert _reasons(second) == reasons
        assert {task.target: task.run_id for task in second.tasks if task.run_id} == run_ids
        assert {name: len(store.runs(name)) for name in scanned} == dict.fromkeys(scanned, 1)

        # New content is a new revision: scanned again, and the store tracks both runs.
        commit_file(repo, "VERSION", "2\n")
        (demo / "notes" / "extra.py").write_text("X = 1\n")
        third = run_fleet(targets, NO_PROOF, fleet_db, source=str(listed))
        changed = scanned[:2]
        assert {name: _states(third)[name] for name in scanned} == {
            **dict.fromkeys(changed, TaskState.DONE),
            **dict.fromkeys(scanned[2:], TaskState.UNCHANGED),
        }
        assert {name: len(store.runs(name)) for name in scanned} == {
            **dict.fromkeys(changed, 2),
            **dict.fromkeys(scanned[2:], 1),
        }
    finally:
        store.close()


def test_a_target_past_its_time_is_killed_with_what_it_started(
    ray_session: Cluster, fleet_db: str, tmp_path: Path
) -> None:
    demo = demo_copy(tmp_path / "demo")
    with stalled_server() as port:
        listed = tmp_path / "TARGETS.yaml"
        listed.write_text(
            f"targets:\n  - git: git://127.0.0.1:{port}/app.git\n    timeout: 1\n  - path: {demo}\n"
        )
        record = run_fleet(read_targets(listed).targets, NO_PROOF, fleet_db, source=str(listed))
        assert _states(record) == {
            f"git://127.0.0.1:{port}/app.git": TaskState.FAILED,
            str(demo): TaskState.DONE,
        }
        assert _reasons(record) == {f"git://127.0.0.1:{port}/app.git": "timed out after 1 s"}
        assert processes_mentioning(f"127.0.0.1:{port}") == []
        assert not (Path(tempfile.gettempdir()) / f"firstpatch-fleet-{record.id}").exists()


def test_a_transient_clone_failure_is_retried(ray_session: Cluster, fleet_db: str, tmp_path: Path) -> None:
    git_repo(tmp_path / "served" / "app")
    with git_daemon(tmp_path / "served") as port, FlakyProxy(port, drop_first=1) as proxy:
        url = f"git://127.0.0.1:{proxy.port}/app"
        settings = FleetSettings(prove=False, timeout=120, retries=2)
        record = run_fleet([read_one(tmp_path, url)], settings, fleet_db, source="retry")
        assert _states(record) == {url: TaskState.DONE}
        assert proxy.connections >= 3  # the dropped listing, then a listing and a clone that worked


def test_with_no_retries_a_transient_failure_is_recorded(
    ray_session: Cluster, fleet_db: str, tmp_path: Path
) -> None:
    git_repo(tmp_path / "served" / "app")
    with git_daemon(tmp_path / "served") as port, FlakyProxy(port, drop_first=1) as proxy:
        url = f"git://127.0.0.1:{proxy.port}/app"
        record = run_fleet([read_one(tmp_path, url)], NO_PROOF, fleet_db, source="no retry")
        assert _reasons(record) == {url: "git ls-remote: Could not read from remote repository. (1 attempt)"}
        assert proxy.connections == 1


def test_a_target_past_its_memory_limit_fails_alone(
    ray_session: Cluster, fleet_db: str, tmp_path: Path
) -> None:
    big = tmp_path / "big"
    big.mkdir()
    # Under the scan's 2 MiB cap per file, yet 40,000 components take far more than 16 MiB.
    (big / "requirements.txt").write_text("".join(f"p{index}==1\n" for index in range(40_000)))
    demo = demo_copy(tmp_path / "demo")
    listed = tmp_path / "TARGETS.yaml"
    listed.write_text(f"targets:\n  - path: {big}\n    memory_mb: 16\n  - path: {demo}\n")
    record = run_fleet(read_targets(listed).targets, NO_PROOF, fleet_db, source=str(listed))
    assert _states(record) == {str(big): TaskState.FAILED, str(demo): TaskState.DONE}
    assert _reasons(record) == {str(big): "exceeded its memory limit of 16 MiB"}


def test_the_ledger_lives_beside_the_store(ray_session: Cluster, fleet_db: str, tmp_path: Path) -> None:
    demo = demo_copy(tmp_path / "demo")
    record = run_fleet([read_one(tmp_path, str(demo))], NO_PROOF, fleet_db, source="one")
    with FleetLedger(fleet_db) as ledger:
        assert ledger.fleet(record.id[:8]) == record
        assert ledger.fleet() == record
        assert ledger.scanned([str(demo)], record.configuration) == {
            str(demo): {record.tasks[0].revision: record.tasks[0].run_id}
        }


def read_one(tmp_path: Path, line: str) -> FleetTarget:
    listed = tmp_path / "one.txt"
    listed.write_text(line + "\n")
    (target,) = read_targets(listed).targets
    return target


def test_a_scan_saved_but_not_recorded_is_not_stored_twice(
    ray_session: Cluster, fleet_db: str, tmp_path: Path
) -> None:
    demo = demo_copy(tmp_path / "demo")
    target = read_one(tmp_path, str(demo))
    first = run_fleet([target], NO_PROOF, fleet_db, source="one")
    # As if the driver had died between saving the run and recording that it had.
    engine = sa.create_engine(fleet_db)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM fleet_scanned"))
    finally:
        engine.dispose()
    again = run_fleet([target], NO_PROOF, fleet_db, source="one")
    assert _states(again) == {str(demo): TaskState.DONE}
    assert again.tasks[0].run_id == first.tasks[0].run_id
    store = open_store(fleet_db)
    try:
        assert [run.id for run in store.runs(str(demo))] == [first.tasks[0].run_id]
    finally:
        store.close()
