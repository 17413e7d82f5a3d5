"""A seeded dashboard for the tests, and signing in to it the way a browser does.

Password hashing is real argon2id, with the memory and time cost turned down so that the many
sign-ins of the suite stay fast (the production defaults cost about 60 ms and 64 MiB each).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_samples import hidden_field, seed

from firstpatch.store import SqlStore
from firstpatch.web import Accounts, Role, create_app

PASSWORDS = {"alice": "alice-long-password", "bob": "bob-long-password!"}


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cheap_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Site:
    """A seeded dashboard: its app, store and accounts, and a token for each user."""

    app: FastAPI
    store: SqlStore
    accounts: Accounts
    tokens: dict[str, str]

    def client(self, https: bool = False) -> TestClient:
        return TestClient(self.app, base_url="https://testserver" if https else "http://testserver")

    def signed_in(self, name: str, https: bool = False) -> TestClient:
        client = self.client(https)
        sign_in(client, name, PASSWORDS[name])
        return client


def sign_in(client: TestClient, name: str, password: str) -> None:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": hidden_field(form.text, "csrf_token")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_of(client: TestClient, path: str = "/") -> str:
    """The session's CSRF token, read from a page's sign-out form as a browser holds it."""
    return hidden_field(client.get(path).text, "csrf_token")


def populate(store: SqlStore, accounts: Accounts) -> dict[str, str]:
    """Seed the runs and the users; the API token of each user."""
    seed(store)
    accounts.create_user("alice", PASSWORDS["alice"], Role.TRIAGE)
    accounts.create_user("bob", PASSWORDS["bob"], Role.READ_ONLY)
    return {name: accounts.create_token(name, "tests") for name in PASSWORDS}


def open_site(url: str, tokens: dict[str, str], secure_cookies: bool | None = None) -> Iterator[Site]:
    with SqlStore(url) as store, Accounts(url, cheap_hasher()) as accounts:
        yield Site(create_app(store, accounts, secure_cookies=secure_cookies), store, accounts, tokens)


def build_site(url: str, secure_cookies: bool | None = None) -> Iterator[Site]:
    """A dashboard over an empty database at `url`, seeded first."""
    with SqlStore(url) as store, Accounts(url, cheap_hasher()) as accounts:
        tokens = populate(store, accounts)
    yield from open_site(url, tokens, secure_cookies)
