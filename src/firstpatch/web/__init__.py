"""The dashboard and JSON API over the store (`firstpatch serve`).

`create_app(store, accounts)` builds the ASGI application; `Accounts` keeps its users, API
tokens and login sessions in tables of their own in the store's database.
"""

from __future__ import annotations

from firstpatch.web.accounts import MIN_PASSWORD, Accounts
from firstpatch.web.app import create_app
from firstpatch.web.interface import AccountError, LoginSession, Role, TokenInfo, User, WebError
from firstpatch.web.urls import project_key, target_of

__all__ = [
    "MIN_PASSWORD",
    "AccountError",
    "Accounts",
    "LoginSession",
    "Role",
    "TokenInfo",
    "User",
    "WebError",
    "create_app",
    "project_key",
    "target_of",
]
