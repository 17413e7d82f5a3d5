"""`firstpatch serve`: accounts from the command line, and the server on the loopback address."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from web_site import cheap_hasher, free_port

from firstpatch.cli import main
from firstpatch.web import Accounts, Role

PASSWORD = "correct horse battery"  # noqa: S105 - a test user's
STARTUP_SECONDS = 60


def firstpatch(*args: str, stdin: str = "") -> tuple[int, str, str]:
    """The command as its entry point runs it, in this process: exit status, stdout, stderr."""
    with pytest.MonkeyPatch.context() as patch:
        out, err = io.StringIO(), io.StringIO()
        patch.setattr(sys, "argv", ["firstpatch", *args])
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        patch.setattr(sys, "stdout", out)
        patch.setattr(sys, "stderr", err)
        code = 0
        try:
            main()
        except SystemExit as exited:
            code = int(exited.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_create_a_user_with_the_password_from_stdin_then_a_token(sqlite_db_url: str) -> None:
    code, _, err = firstpatch("serve", "--db", sqlite_db_url, "--create-user", "carol", stdin=PASSWORD + "\n")
    assert code == 0, err
    assert "Created user carol (triage)." in err
    code, out, err = firstpatch(
        "serve", "--db", sqlite_db_url, "--create-token", "carol", "--token-label", "ci"
    )
    assert code == 0, err
    token = out.strip()
    assert re.fullmatch(r"fpt_[A-Za-z0-9_-]{43}", token)
    with Accounts(sqlite_db_url, cheap_hasher()) as accounts:
        carol = accounts.authenticate("carol", PASSWORD)
        assert carol is not None
        assert carol.role is Role.TRIAGE
        assert accounts.user_of_token(token) == carol
        (listed,) = accounts.tokens()
    code, _, err = firstpatch("serve", "--db", sqlite_db_url, "--revoke-token", str(listed.id))
    assert code == 0, err
    with Accounts(sqlite_db_url, cheap_hasher()) as accounts:
        assert accounts.user_of_token(token) is None


def test_a_read_only_user_and_a_new_password(sqlite_db_url: str) -> None:
    code, _, err = firstpatch(
        "serve", "--db", sqlite_db_url, "--create-user", "dave", "--role", "read-only", stdin=PASSWORD
    )
    assert code == 0, err
    code, _, err = firstpatch(
        "serve", "--db", sqlite_db_url, "--set-password", "dave", stdin="another long one\n"
    )
    assert code == 0, err
    with Accounts(sqlite_db_url, cheap_hasher()) as accounts:
        dave = accounts.authenticate("dave", "another long one")
        assert dave is not None
        assert dave.role is Role.READ_ONLY


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--create-user", "erin"], "short\n", "a password needs at least 12 characters"),
        (["--create-user", "erin"], "", "no password on standard input"),
        (["--create-user", "bad name"], PASSWORD, "cannot be a user name"),
        (["--create-token", "nobody"], "", "no user named 'nobody'"),
        (["--ssl-certfile", "cert.pem"], "", "--ssl-certfile and --ssl-keyfile go together"),
    ],
)
def test_bad_account_requests_are_one_line_errors(
    sqlite_db_url: str, args: list[str], stdin: str, message: str
) -> None:
    code, _, err = firstpatch("serve", "--db", sqlite_db_url, *args, stdin=stdin)
    assert code == 2
    assert err.startswith("firstpatch: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_second_user_of_the_same_name_is_refused(sqlite_db_url: str) -> None:
    assert firstpatch("serve", "--db", sqlite_db_url, "--create-user", "carol", stdin=PASSWORD)[0] == 0
    code, _, err = firstpatch("serve", "--db", sqlite_db_url, "--create-user", "carol", stdin=PASSWORD)
    assert code == 2
    assert "a user named 'carol' exists already" in err


@pytest.mark.slow
def test_serve_listens_on_loopback_only_by_default(sqlite_db_url: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "firstpatch", "serve", "--db", sqlite_db_url, "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while f"Uvicorn running on http://127.0.0.1:{port}" not in log.read_text():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        text = log.read_text()
        assert "No user can sign in yet: create one with `firstpatch serve --create-user NAME`." in text
        response = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/"
        assert "server" not in response.headers  # no banner naming the server
    finally:
        server.terminate()
        server.wait(timeout=STARTUP_SECONDS)
