"""Opening a store: where the default database lives, and one-line errors for bad databases."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

import firstpatch.store
from firstpatch.store import FindingStatus, SqlStore, StoreError, default_url, open_store, sqlite_url


def test_public_api_is_pinned() -> None:
    assert set(firstpatch.store.__all__) == {
        "DEFAULT_POLICY",
        "ENV_VAR",
        "OPEN_STATUSES",
        "DeadlinePolicy",
        "FindingStatus",
        "LifecycleEvent",
        "NotFoundError",
        "OpenFindingAge",
        "Overview",
        "PatchWindow",
        "PolicyError",
        "ProjectSummary",
        "RunDiff",
        "RunSummary",
        "SqlStore",
        "Store",
        "StoreError",
        "TrackedFinding",
        "TriageError",
        "default_url",
        "load_policy",
        "open_store",
        "sqlite_url",
    }
    assert [status.value for status in FindingStatus] == [
        "new",
        "confirmed",
        "patched",
        "fixed",
        "reopened",
        "accepted-risk",
        "false-positive",
    ]


def test_default_is_an_sqlite_file_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIRSTPATCH_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = default_url()
    assert url == f"sqlite:///{tmp_path}/data/firstpatch/firstpatch.db"
    assert (tmp_path / "data" / "firstpatch").is_dir()
    store = open_store()
    store.close()
    assert (tmp_path / "data" / "firstpatch" / "firstpatch.db").is_file()


def test_firstpatch_db_may_be_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTPATCH_DB", "postgresql+psycopg://scanner@db.internal/firstpatch")
    assert default_url() == "postgresql+psycopg://scanner@db.internal/firstpatch"


def test_firstpatch_db_may_be_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FIRSTPATCH_DB", "history.db")
    assert default_url() == f"sqlite:///{tmp_path}/history.db"


def test_an_uncreatable_data_folder_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIRSTPATCH_DB", raising=False)
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "file"))
    with pytest.raises(StoreError, match="cannot create the data folder"):
        default_url()


def _refused(url: str) -> StoreError:
    with pytest.raises(StoreError) as caught:
        SqlStore(url)
    error = caught.value
    assert error.exit_code == 2
    assert "\n" not in str(error)
    return error


def test_garbage_url() -> None:
    assert "not a database URL" in str(_refused("this is not a url"))


def test_unknown_database_kind() -> None:
    assert "unknown database kind 'nosuchdb'" in str(_refused("nosuchdb://host/db"))


def test_passwords_are_not_repeated_in_errors() -> None:
    error = _refused("nosuchdb://scanner:hunter2@host/db")
    assert "hunter2" not in str(error)
    assert "scanner:***@host" in str(error)


def test_a_path_that_cannot_hold_a_file(tmp_path: Path) -> None:
    # A regular file where a folder should be: refused even when running as root.
    (tmp_path / "file").write_text("")
    error = _refused(sqlite_url(tmp_path / "file" / "firstpatch.db"))
    assert "cannot open database" in str(error)
    assert "unable to open database file" in str(error)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 200)
    assert "file is not a database" in str(_refused(sqlite_url(path)))


def test_a_database_from_a_newer_firstpatch(tmp_path: Path) -> None:
    path = tmp_path / "firstpatch.db"
    SqlStore(sqlite_url(path)).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", ("9999",))
    connection.close()
    error = _refused(sqlite_url(path))
    assert "9999" in str(error)
    assert "newer firstpatch" in str(error)


def test_a_postgresql_server_that_is_not_there(unused_tcp_port: int) -> None:
    error = _refused(f"postgresql+psycopg://scanner:hunter2@127.0.0.1:{unused_tcp_port}/firstpatch")
    assert "cannot open database postgresql+psycopg://scanner:***@127.0.0.1" in str(error)
    assert "hunter2" not in str(error)


def test_a_postgresql_database_that_does_not_exist(postgres_url: str) -> None:
    missing = sa.make_url(postgres_url).set(database="no_such_db").render_as_string(hide_password=False)
    assert 'database "no_such_db" does not exist' in str(_refused(missing))


def test_a_postgresql_database_from_a_newer_firstpatch(postgres_db_url: str) -> None:
    SqlStore(postgres_db_url).close()
    engine = sa.create_engine(postgres_db_url)
    with engine.begin() as connection:
        connection.execute(
            sa.table("alembic_version", sa.column("version_num")).update().values(version_num="9999")
        )
    engine.dispose()
    assert "newer firstpatch" in str(_refused(postgres_db_url))


@pytest.fixture
def unused_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
