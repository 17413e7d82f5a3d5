"""Hostile targets: every escape is stopped, reported as what it was, and leaves the host alone."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, copy_tree, make_finding, snapshot
from firstpatch.model import ProofStatus
from firstpatch.prove import FlaskDriver, Limits, prove
from firstpatch.prove.sandbox import Failure, run

FAST = Limits(startup_seconds=20, step_seconds=3)


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    root = copy_tree(FIXTURES / "hostile-flask", tmp_path / "hostile")
    outside = Path("/tmp") / f"outside-{secrets.token_hex(8)}"
    (root / "outside.txt").write_text(str(outside))
    return root, outside


@pytest.mark.slow
def test_every_escape_is_stopped_and_reported(hostile: tuple[Path, Path]) -> None:
    root, outside = hostile
    before = snapshot(root)
    routes = [
        "/connect-dns",
        "/connect-private",
        "/write-outside",
        "/loop",
        "/allocate",
        "/fork-bomb",
        "/exit",
        "/abort",
        "/echo",
    ]
    findings = {route: make_finding(route, 78, "host") for route in routes}
    evidence = FlaskDriver(limits=FAST).prove(root, list(findings.values()))
    found = {route: evidence[finding.fingerprint] for route, finding in findings.items()}

    dns = found["/connect-dns"]
    assert dns.status is ProofStatus.NOT_CONFIRMED
    assert "refused" in dns.reason
    assert "socket.connect" in dns.reason
    assert "8.8.8.8" in dns.reason
    assert "10.0.0.1" in found["/connect-private"].reason

    write = found["/write-outside"]
    assert "refused" in write.reason
    assert str(outside) in write.reason
    assert not outside.exists()

    loop = found["/loop"]
    assert loop.status is ProofStatus.UNTESTABLE
    assert loop.reason.startswith("timeout")

    memory = found["/allocate"]
    assert memory.status is ProofStatus.UNTESTABLE
    assert memory.reason.startswith("memory")

    fork = found["/fork-bomb"]
    assert "refused" in fork.reason
    assert "os.fork" in fork.reason

    exited = found["/exit"]
    assert exited.status is ProofStatus.UNTESTABLE
    assert exited.reason.startswith("crash: the child exited with status 7")
    aborted = found["/abort"]
    assert aborted.status is ProofStatus.UNTESTABLE
    assert aborted.reason.startswith("crash: the child was killed by SIGABRT")

    # The children that hung or died were replaced: the route after them was still served.
    assert found["/echo"].status is ProofStatus.NOT_CONFIRMED
    assert "HTTP 200" in found["/echo"].log
    assert snapshot(root) == before


@pytest.mark.slow
def test_missing_module_is_untestable_and_named(tmp_path: Path) -> None:
    root = copy_tree(FIXTURES / "missing-dependency", tmp_path / "app")
    finding = make_finding("/hello", 79, "name")
    evidence = prove(root, [finding])[finding.fingerprint]
    assert evidence.status is ProofStatus.UNTESTABLE
    assert evidence.reason.startswith("missing module fp_no_such_dependency")


@pytest.mark.slow
def test_import_time_payload_runs_only_in_the_sandbox(tmp_path: Path) -> None:
    outside = Path("/tmp") / f"outside-{secrets.token_hex(8)}"
    root = tmp_path / "app"
    root.mkdir()
    (root / "app.py").write_text(
        textwrap.dedent(
            f"""
            import os
            from flask import Flask
            open({str(outside)!r}, "w").write("import-time payload")
            app = Flask(__name__)
            """
        )
    )
    finding = make_finding("/x", 78, "host")
    evidence = prove(root, [finding])[finding.fingerprint]
    assert evidence.status is ProofStatus.UNTESTABLE
    assert "does not start" in evidence.reason
    assert "refused open" in evidence.reason
    assert not outside.exists()


@pytest.mark.slow
def test_symlink_out_of_the_tree_does_not_let_writes_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside-dir"
    outside.mkdir()
    root = tmp_path / "app"
    root.mkdir()
    (root / "escape").symlink_to(outside)
    (root / "app.py").write_text(
        textwrap.dedent(
            """
            from flask import Flask
            app = Flask(__name__)

            @app.route("/w")
            def w():
                open("escape/victim.txt", "w").write("x")
                return "ok"
            """
        )
    )
    finding = make_finding("/w", 78, "host")
    evidence = prove(root, [finding])[finding.fingerprint]
    assert "refused" in evidence.reason
    assert "victim.txt" in evidence.reason
    assert not (outside / "victim.txt").exists()
    assert (root / "escape").is_symlink()


@pytest.mark.slow
def test_sandbox_isolation_and_error_kinds(tmp_path: Path) -> None:
    root = copy_tree(FIXTURES / "missing-dependency", tmp_path / "app")
    job = {"runner": "flask", "app": {"path_entry": "", "module": "app", "attribute": "app", "factory": None}}
    result = run(root, {**job, "items": []}, FAST)
    assert result.error is not None
    assert result.error.kind is Failure.IMPORT
    assert result.error.module == "fp_no_such_dependency"
    if os.geteuid() == 0:
        assert "network: network namespace" in result.isolation
    assert not Path(result.root).exists()  # the copy is removed afterwards


def test_audit_hook_refuses_network_before_anything_is_sent(tmp_path: Path) -> None:
    """Without any namespace, the hook alone refuses a connection to 8.8.8.8:53 and records it."""
    script = textwrap.dedent(
        f"""
        import socket
        from firstpatch.prove._guard import Guard, Refused
        guard = Guard(writable=[{str(tmp_path)!r}])
        guard.install()
        guard.watch("fpcanary")
        for call in (
            lambda: socket.create_connection(("8.8.8.8", 53), timeout=1),
            lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("8.8.8.8", 53)),
            lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53)),
            lambda: socket.getaddrinfo("example.org", 443),
            lambda: socket.socket().bind(("0.0.0.0", 0)),
            lambda: __import__("os").system("true"),
            lambda: open("/tmp/fp-should-not-exist-{tmp_path.name}", "w"),
        ):
            try:
                call()
            except Refused:
                pass
            else:
                raise SystemExit("not refused")
        print(sorted({{r["event"] for r in guard.collect() if r["refused"]}}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    refused = "['open', 'os.system', 'socket.bind', 'socket.connect', 'socket.getaddrinfo', 'socket.sendto']"
    assert completed.stdout.strip() == refused
    assert not Path(f"/tmp/fp-should-not-exist-{tmp_path.name}").exists()


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_without_cap_sys_admin_the_user_namespace_fallback_isolates(tmp_path: Path) -> None:
    """Run the prover without CAP_SYS_ADMIN: a plain network namespace is refused, and the
    child falls back to a user+network namespace (what an unprivileged user gets)."""
    root = copy_tree(FIXTURES / "hostile-flask", tmp_path / "hostile")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from conftest import make_finding
        from firstpatch.prove import FlaskDriver, Limits
        finding = make_finding("/connect-dns", 78, "host")
        results = FlaskDriver(Limits(step_seconds=5)).prove(Path({str(root)!r}), [finding])
        evidence = results[finding.fingerprint]
        print(evidence.log.splitlines()[0])
        print(evidence.reason)
        """
    )
    completed = subprocess.run(
        ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "network: user+network namespace" in completed.stdout
    assert "refused: socket.connect" in completed.stdout


@pytest.mark.slow
def test_unreadable_tree_is_untestable_not_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (root / "pipe").mkdir()
    os.mkfifo(root / "pipe" / "fifo")  # copytree refuses special files
    finding = make_finding("/x", 78, "host")
    evidence = prove(root, [finding])[finding.fingerprint]
    assert evidence.status is ProofStatus.UNTESTABLE
    assert "could not copy the target" in evidence.reason


@pytest.mark.slow
def test_confirmation_before_a_hang_is_kept(hostile: tuple[Path, Path]) -> None:
    root, _ = hostile
    finding = make_finding("/confirm-then-hang", 78, "host")
    evidence = FlaskDriver(limits=Limits(step_seconds=2)).prove(root, [finding])[finding.fingerprint]
    assert evidence.status is ProofStatus.CONFIRMED
    assert evidence.event is not None
    assert evidence.event.oracle == "audit:os.system"
