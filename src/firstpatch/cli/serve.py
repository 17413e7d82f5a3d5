"""`firstpatch serve`: the dashboard and JSON API over the store, and its users and tokens.

Binds to 127.0.0.1 unless `--host` says otherwise. `--create-user`, `--set-password`,
`--create-token` and `--revoke-token` change the dashboard's accounts and exit.
"""

from __future__ import annotations

import enum
import getpass
import ipaddress
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from firstpatch.cli.app import app, stderr
from firstpatch.cli.history import DbOption
from firstpatch.cli.triage import DeadlineOption, PolicyOption, deadline_policy
from firstpatch.errors import UsageError

if TYPE_CHECKING:
    from firstpatch.store import DeadlinePolicy
    from firstpatch.web import Accounts


class CookieSecurity(enum.StrEnum):
    AUTO = "auto"  # Secure when the request came over HTTPS
    ALWAYS = "always"
    NEVER = "never"


class RoleChoice(enum.StrEnum):
    TRIAGE = "triage"
    READ_ONLY = "read-only"


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback exposes the dashboard.")
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    db: DbOption = None,
    policy: PolicyOption = None,
    deadline: DeadlineOption = None,
    secure_cookies: Annotated[
        CookieSecurity,
        typer.Option(help="The cookies' Secure flag: auto sets it on requests that came over HTTPS."),
    ] = CookieSecurity.AUTO,
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="Serve HTTPS with this certificate (PEM).")
    ] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="The certificate's private key (PEM).")] = None,
    create_user: Annotated[
        str | None,
        typer.Option(help="Create a user (password from stdin, or asked for on a terminal) and exit."),
    ] = None,
    role: Annotated[
        RoleChoice, typer.Option(help="The new user's role: triage may change findings, read-only may look.")
    ] = RoleChoice.TRIAGE,
    set_password: Annotated[
        str | None,
        typer.Option(help="Set a user's password (read like --create-user's), sign them out, exit."),
    ] = None,
    create_token: Annotated[
        str | None, typer.Option(help="Make an API token for this user, print it once, and exit.")
    ] = None,
    label: Annotated[str, typer.Option("--token-label", help="What the new token is for.")] = "api",
    revoke_token: Annotated[
        int | None, typer.Option(help="Revoke the API token with this id and exit.")
    ] = None,
) -> None:
    """Serve the dashboard: open findings, deadlines, trends, findings' proof and history, triage."""
    from firstpatch.store import default_url

    _require_web()
    url = db or default_url()
    if create_user or set_password or create_token or revoke_token is not None:
        _change_accounts(url, create_user, RoleChoice(role), set_password, create_token, label, revoke_token)
        return
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise UsageError("--ssl-certfile and --ssl-keyfile go together")
    rules = deadline_policy(policy, deadline)
    _serve(url, host, port, rules, secure_cookies, ssl_certfile, ssl_keyfile)


def _require_web() -> None:
    """The dashboard's libraries are an extra; without them, say how to get them."""
    try:
        import argon2  # noqa: F401
        import fastapi  # noqa: F401
        import python_multipart  # noqa: F401  (forms)
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"the dashboard needs {exc.name}: pip install 'firstpatch[web]'") from None


def _change_accounts(
    url: str,
    create_user: str | None,
    role: RoleChoice,
    set_password: str | None,
    create_token: str | None,
    token_label: str,
    revoke_token: int | None,
) -> None:
    from firstpatch.web import Accounts, Role

    with Accounts(url) as accounts:
        if create_user:
            user = accounts.create_user(
                create_user, _password(f"Password for {create_user}: "), Role(role.value)
            )
            stderr.print(f"Created user {user.name} ({user.role.value}).", markup=False, highlight=False)
        if set_password:
            accounts.set_password(set_password, _password(f"New password for {set_password}: "))
            stderr.print(f"Changed the password of {set_password}.", markup=False, highlight=False)
        if create_token:
            token = accounts.create_token(create_token, token_label)
            # The token alone on stdout, so that a script can capture it; it is not shown again.
            typer.echo(token)
            stderr.print(
                f"A token for {create_token}; send it as 'Authorization: Bearer TOKEN'. It is not stored "
                "and cannot be shown again.",
                markup=False,
                highlight=False,
            )
        if revoke_token is not None:
            accounts.revoke_token(revoke_token)
            stderr.print(f"Revoked token {revoke_token}.", markup=False, highlight=False)


def _password(prompt: str) -> str:
    """One line of stdin when it is not a terminal; else asked for twice, without echo."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise UsageError("no password on standard input")
        return line.removesuffix("\n").removesuffix("\r")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise UsageError("the two passwords differ")
    return first


def _serve(
    url: str,
    host: str,
    port: int,
    rules: DeadlinePolicy,
    secure_cookies: CookieSecurity,
    certfile: Path | None,
    keyfile: Path | None,
) -> None:
    import uvicorn

    from firstpatch.fleet.ledger import FleetLedger
    from firstpatch.store import open_store
    from firstpatch.web import Accounts, create_app

    store = open_store(url)
    accounts: Accounts | None = None
    fleet: FleetLedger | None = None
    try:
        accounts = Accounts(url)
        # Read only: the fleet's tables are made by `firstpatch fleet scan`, never by the dashboard.
        fleet = FleetLedger(url, create_tables=False)
        if not accounts.has_users():
            stderr.print(
                "No user can sign in yet: create one with `firstpatch serve --create-user NAME`.",
                markup=False,
                highlight=False,
            )
        if not _loopback(host) and certfile is None:
            stderr.print(
                f"Listening on {host} without TLS: put an HTTPS proxy in front, or pass --ssl-certfile "
                "and --ssl-keyfile, so that passwords and cookies are not sent in the clear.",
                markup=False,
                highlight=False,
            )
        secure = {CookieSecurity.AUTO: None, CookieSecurity.ALWAYS: True, CookieSecurity.NEVER: False}
        web = create_app(store, accounts, policy=rules, secure_cookies=secure[secure_cookies], fleet=fleet)
        uvicorn.run(
            web,
            host=host,
            port=port,
            server_header=False,
            ssl_certfile=str(certfile) if certfile else None,
            ssl_keyfile=str(keyfile) if keyfile else None,
            log_level="info",
        )
    finally:
        if fleet is not None:
            fleet.close()
        if accounts is not None:
            accounts.close()
        store.close()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
