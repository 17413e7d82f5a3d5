"""Who may use the dashboard: users with argon2-hashed passwords, API tokens, login sessions.

Opened on the same database as the store, through the store's engine helpers (SQLite's busy
timeout and write locking, PostgreSQL's retried races, errors translated to one line). Every
query goes through the ORM with bound parameters.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from firstpatch.store.engine import WRITES, open_engine, parse_url, retrying, shown, translated
from firstpatch.web import schema
from firstpatch.web.interface import AccountError, LoginSession, Role, TokenInfo, User
from firstpatch.web.tables import SessionRow, TokenRow, UserRow

T = TypeVar("T")

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 12  # characters; NIST SP 800-63B asks for at least 8, 15 without a second factor
MAX_PASSWORD = 1024  # argon2 takes any length; a megabyte password is only a way to burn CPU
TOKEN_PREFIX = "fpt_"  # noqa: S105 - a prefix, not a secret; lets secret scanners and people tell a firstpatch token at a glance
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user(row: UserRow) -> User:
    return User(id=row.id, name=row.name, role=Role(row.role))


class Accounts:
    """The users, tokens and sessions of the database at `url`, its tables created if need be."""

    def __init__(self, url: str, hasher: PasswordHasher | None = None) -> None:
        parsed = parse_url(url)
        self.url = shown(parsed)
        self._engine = open_engine(parsed)
        try:
            with translated(f"cannot open the dashboard's tables in {self.url}"):
                schema.upgrade(self._engine)
        except Exception:
            self._engine.dispose()
            raise
        self._hasher = hasher or PasswordHasher()
        # Checked against when the name is unknown, so that a wrong name costs as long as a
        # wrong password and the time taken does not tell which names exist.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        self._reads = sessionmaker(self._engine, expire_on_commit=False)
        self._writes = sessionmaker(self._engine.execution_options(**{WRITES: True}), expire_on_commit=False)

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    def _write(self, action: str, work: Callable[[Session], T]) -> T:
        def attempt() -> T:
            with self._writes.begin() as session:
                return work(session)

        with translated(f"{action} in {self.url}"):
            return retrying(attempt)

    def _read(self, action: str, work: Callable[[Session], T]) -> T:
        with translated(f"{action} from {self.url}"), self._reads() as session:
            return work(session)

    # Users

    def create_user(self, name: str, password: str, role: Role, now: datetime | None = None) -> User:
        check_name(name)
        check_password(password)
        hashed = self._hasher.hash(password)

        def work(session: Session) -> User:
            if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                raise AccountError(f"a user named {name!r} exists already")
            row = UserRow(name=name, password_hash=hashed, role=role.value, created=now or _now())
            session.add(row)
            session.flush()
            return _user(row)

        return self._write(f"cannot create user {name!r}", work)

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        hashed = self._hasher.hash(password)

        def work(session: Session) -> None:
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            if row is None:
                raise AccountError(f"no user named {name!r}")
            row.password_hash = hashed
            # A new password signs every browser out: one of them may be why it was changed.
            session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))

        self._write(f"cannot change the password of {name!r}", work)

    def users(self) -> list[User]:
        return self._read(
            "cannot read users",
            lambda session: [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.name))],
        )

    def has_users(self) -> bool:
        return self._read(
            "cannot read users", lambda session: session.scalar(select(UserRow.id).limit(1)) is not None
        )

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is theirs; None for a wrong name or password alike."""
        row = self._read(
            "cannot read users",
            lambda session: session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none(),
        )
        if row is None or len(password) > MAX_PASSWORD:
            self._verify(self._decoy, password[:MAX_PASSWORD])
            return None
        if not self._verify(row.password_hash, password):
            return None
        if self._hasher.check_needs_rehash(row.password_hash):
            # Stronger parameters since the hash was made: upgrade it while the password is at hand.
            self._rehash(row.id, self._hasher.hash(password))
        return _user(row)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def _rehash(self, user_id: int, hashed: str) -> None:
        def work(session: Session) -> None:
            row = session.get(UserRow, user_id)
            if row is not None:
                row.password_hash = hashed

        self._write("cannot update a password hash", work)

    # API tokens

    def create_token(self, name: str, label: str = "", now: datetime | None = None) -> str:
        """A new token for user `name`; returned once, only its digest is kept."""
        label = label.strip() or "api"
        if len(label) > 100 or "\x00" in label:
            raise AccountError("a token label is at most 100 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)

        def work(session: Session) -> None:
            user_id = session.scalar(select(UserRow.id).where(UserRow.name == name))
            if user_id is None:
                raise AccountError(f"no user named {name!r}")
            session.add(TokenRow(user_id=user_id, label=label, digest=_digest(token), created=now or _now()))

        self._write(f"cannot create a token for {name!r}", work)
        return token

    def tokens(self, name: str | None = None) -> list[TokenInfo]:
        query = (
            select(TokenRow, UserRow.name).join(UserRow, TokenRow.user_id == UserRow.id).order_by(TokenRow.id)
        )
        if name is not None:
            query = query.where(UserRow.name == name)
        return self._read(
            "cannot read tokens",
            lambda session: [
                TokenInfo(row.id, user, row.label, row.created, row.last_used)
                for row, user in session.execute(query)
            ],
        )

    def revoke_token(self, token_id: int) -> None:
        def work(session: Session) -> None:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise AccountError(f"no token with id {token_id}")
            session.delete(row)

        self._write(f"cannot revoke token {token_id}", work)

    def user_of_token(self, token: str, now: datetime | None = None) -> User | None:
        """The user a presented API token belongs to; None for an unknown token."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        digest = _digest(token)

        def work(session: Session) -> User | None:
            found = session.execute(
                select(TokenRow, UserRow)
                .join(UserRow, TokenRow.user_id == UserRow.id)
                .where(TokenRow.digest == digest)
            ).one_or_none()
            if found is None:
                return None
            token_row, user_row = found
            moment = now or _now()
            # Recorded at most hourly: a busy script must not turn every read into a write.
            if token_row.last_used is None or moment - token_row.last_used > timedelta(hours=1):
                token_row.last_used = moment
            return _user(user_row)

        return self._write("cannot check a token", work)

    # Login sessions

    def start_session(self, user: User, now: datetime | None = None) -> tuple[str, LoginSession]:
        """A new session for `user`: the secret for its cookie, and the session itself."""
        moment = now or _now()
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = moment + SESSION_LIFETIME

        def work(session: Session) -> None:
            # Sessions that ran out are dropped here, so that the table does not only grow.
            session.execute(delete(SessionRow).where(SessionRow.expires < moment))
            session.add(
                SessionRow(
                    user_id=user.id, digest=_digest(secret), csrf_token=csrf, created=moment, expires=expires
                )
            )

        self._write(f"cannot sign {user.name!r} in", work)
        return secret, LoginSession(user, csrf, expires)

    def session(self, secret: str, now: datetime | None = None) -> LoginSession | None:
        """The live session a cookie names; None when it is unknown or has expired."""
        if not secret or len(secret) > 100:
            return None
        digest = _digest(secret)
        moment = now or _now()

        def work(session: Session) -> LoginSession | None:
            found = session.execute(
                select(SessionRow, UserRow)
                .join(UserRow, SessionRow.user_id == UserRow.id)
                .where(SessionRow.digest == digest, SessionRow.expires > moment)
            ).one_or_none()
            if found is None:
                return None
            row, user_row = found
            return LoginSession(_user(user_row), row.csrf_token, row.expires)

        return self._read("cannot read sessions", work)

    def end_session(self, secret: str) -> None:
        digest = _digest(secret)
        self._write(
            "cannot sign out",
            lambda session: session.execute(delete(SessionRow).where(SessionRow.digest == digest)),
        )


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise AccountError(
            f"{name!r} cannot be a user name: 1 to 64 letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")
    if "\x00" in password:
        raise AccountError("a password cannot contain a NUL character")


def _now() -> datetime:
    return datetime.now(UTC)
