"""Fixtures shared by the whole suite: a real PostgreSQL server, started for the session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_default_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or write the user's own database: FIRSTPATCH_DB points at a fresh file
    for the whole session (subprocesses inherit it)."""
    previous = os.environ.get("FIRSTPATCH_DB")
    os.environ["FIRSTPATCH_DB"] = f"sqlite:///{tmp_path_factory.mktemp('store') / 'firstpatch.db'}"
    yield
    if previous is None:
        os.environ.pop("FIRSTPATCH_DB", None)
    else:
        os.environ["FIRSTPATCH_DB"] = previous


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of an empty database on a throwaway PostgreSQL cluster.

    FIRSTPATCH_TEST_POSTGRES_URL points at an existing server instead. CI installs Debian's
    postgresql (see .ci/run), so there the server must start; elsewhere a missing PostgreSQL
    skips the tests that need it.
    """
    if url := os.environ.get("FIRSTPATCH_TEST_POSTGRES_URL"):
        yield url
        return
    bindir = _postgres_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed, and CI must test against it")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    as_user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="firstpatch-pg-"))
    data, sockets, port = home / "data", home / "sockets", _free_port()
    sockets.mkdir()
    if as_user:
        shutil.chown(home, "postgres")
        shutil.chown(sockets, "postgres")
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "--no-sync")
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start")
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "firstpatch_test")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/firstpatch_test"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(home, ignore_errors=True)
