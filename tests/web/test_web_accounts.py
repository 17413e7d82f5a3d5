"""Users, passwords, tokens and sessions, in their own tables beside the store's, on SQLite and
on PostgreSQL, from an empty database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from web_site import cheap_hasher

from firstpatch.store import SqlStore
from firstpatch.web import AccountError, Accounts, Role
from firstpatch.web.accounts import SESSION_LIFETIME

PASSWORD = "a long enough password"  # noqa: S105 - a test user's


def test_the_tables_are_created_beside_the_stores_from_an_empty_database(any_db_url: str) -> None:
    with Accounts(any_db_url, cheap_hasher()) as accounts:
        accounts.create_user("carol", PASSWORD, Role.TRIAGE)
    # The store migrates its own tables into the same database, and ours are left alone.
    with SqlStore(any_db_url), Accounts(any_db_url, cheap_hasher()) as again:
        assert [u.name for u in again.users()] == ["carol"]
    engine = sa.create_engine(any_db_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM firstpatch_web_alembic")).scalar()
    finally:
        engine.dispose()
    assert {"web_users", "web_tokens", "web_sessions", "findings", "runs"} <= tables
    assert version == "web0001"


def test_passwords_are_stored_as_argon2_hashes_and_checked(any_db_url: str) -> None:
    with Accounts(any_db_url, cheap_hasher()) as accounts:
        carol = accounts.create_user("carol", PASSWORD, Role.READ_ONLY)
        assert accounts.authenticate("carol", PASSWORD) == carol
        assert accounts.authenticate("carol", PASSWORD + "!") is None
        assert accounts.authenticate("nobody", PASSWORD) is None
    engine = sa.create_engine(any_db_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT password_hash FROM web_users")).scalar()
    finally:
        engine.dispose()
    assert str(stored).startswith("$argon2id$")
    assert PASSWORD not in str(stored)


def test_a_weaker_hash_is_upgraded_at_the_next_sign_in(sqlite_db_url: str) -> None:
    with Accounts(sqlite_db_url, cheap_hasher()) as weak:
        weak.create_user("carol", PASSWORD, Role.TRIAGE)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    with Accounts(sqlite_db_url, stronger) as accounts:
        assert accounts.authenticate("carol", PASSWORD) is not None
    engine = sa.create_engine(sqlite_db_url)
    try:
        with engine.connect() as connection:
            stored = str(connection.execute(sa.text("SELECT password_hash FROM web_users")).scalar())
    finally:
        engine.dispose()
    assert "m=2048,t=2,p=1" in stored


@pytest.mark.parametrize(
    ("name", "password", "complaint"),
    [
        ("", PASSWORD, "cannot be a user name"),
        ("-dash", PASSWORD, "cannot be a user name"),
        ("a b", PASSWORD, "cannot be a user name"),
        ("x" * 65, PASSWORD, "cannot be a user name"),
        ("carol", "short", "at least 12 characters"),
        ("carol", "x" * 2000, "at most 1024 characters"),
        ("carol", "a\x00" + PASSWORD, "NUL"),
    ],
)
def test_bad_names_and_passwords_are_refused(
    sqlite_db_url: str, name: str, password: str, complaint: str
) -> None:
    with Accounts(sqlite_db_url, cheap_hasher()) as accounts, pytest.raises(AccountError, match=complaint):
        accounts.create_user(name, password, Role.TRIAGE)


def test_a_name_is_taken_once(any_db_url: str) -> None:
    with Accounts(any_db_url, cheap_hasher()) as accounts:
        accounts.create_user("carol", PASSWORD, Role.TRIAGE)
        with pytest.raises(AccountError, match="exists already"):
            accounts.create_user("carol", PASSWORD + "2", Role.READ_ONLY)
        assert [(u.name, u.role) for u in accounts.users()] == [("carol", Role.TRIAGE)]


def test_tokens_are_shown_once_kept_as_digests_and_revocable(any_db_url: str) -> None:
    with Accounts(any_db_url, cheap_hasher()) as accounts:
        carol = accounts.create_user("carol", PASSWORD, Role.TRIAGE)
        token = accounts.create_token("carol", "ci")
        assert token.startswith("fpt_")
        assert accounts.user_of_token(token) == carol
        assert accounts.user_of_token(token + "x") is None
        assert accounts.user_of_token("not-ours") is None
        (listed,) = accounts.tokens("carol")
        assert (listed.user, listed.label) == ("carol", "ci")
        assert listed.last_used is not None
        accounts.revoke_token(listed.id)
        assert accounts.user_of_token(token) is None
        with pytest.raises(AccountError, match="no user named"):
            accounts.create_token("nobody")
        with pytest.raises(AccountError, match="no token with id"):
            accounts.revoke_token(listed.id)
    engine = sa.create_engine(any_db_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM web_tokens")).scalar() == 0
    finally:
        engine.dispose()


def test_sessions_expire_end_and_end_with_a_new_password(any_db_url: str) -> None:
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with Accounts(any_db_url, cheap_hasher()) as accounts:
        carol = accounts.create_user("carol", PASSWORD, Role.TRIAGE)
        secret, session = accounts.start_session(carol, now=start)
        assert accounts.session(secret, now=start + timedelta(hours=1)) == session
        assert accounts.session(secret, now=start + SESSION_LIFETIME + timedelta(seconds=1)) is None
        assert accounts.session(secret + "x", now=start) is None
        accounts.end_session(secret)
        assert accounts.session(secret, now=start) is None
        other, _ = accounts.start_session(carol, now=start)
        accounts.set_password("carol", PASSWORD + " changed")
        assert accounts.session(other, now=start) is None
        assert accounts.authenticate("carol", PASSWORD + " changed") == carol
