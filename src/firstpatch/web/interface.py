"""The dashboard's errors, and the accounts that may use it.

WebError                exit 2: the dashboard cannot start or its accounts cannot be changed
└── AccountError        a user name, password, role or token that cannot be used

Errors the store raises while a page is served (`NotFoundError`, `TriageError`) become HTTP
statuses at the boundary; these are for the command line that sets the dashboard up.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from firstpatch.errors import ExitCode, FirstpatchError


class WebError(FirstpatchError):
    """The dashboard cannot start, or its accounts cannot be read or written."""

    exit_code = ExitCode.USAGE


class AccountError(WebError):
    """A user name, password, role or token that cannot be used."""


class Role(enum.StrEnum):
    """What a user may do: every role may look; only `triage` may change a finding's status."""

    TRIAGE = "triage"
    READ_ONLY = "read-only"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role

    @property
    def can_triage(self) -> bool:
        return self.role is Role.TRIAGE


@dataclass(frozen=True, slots=True)
class LoginSession:
    """A signed-in browser: who, the CSRF token its forms must carry, and until when."""

    user: User
    csrf_token: str
    expires: datetime


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as listed: never the token itself, which is shown once when created."""

    id: int
    user: str
    label: str
    created: datetime
    last_used: datetime | None
