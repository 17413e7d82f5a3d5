"""The store: runs and the lifecycle of their findings in SQLite (default) or PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from firstpatch.store.interface import (
    OPEN_STATUSES,
    FindingStatus,
    LifecycleEvent,
    NotFoundError,
    OpenFindingAge,
    Overview,
    PatchWindow,
    PolicyError,
    ProjectSummary,
    RunDiff,
    RunSummary,
    Store,
    StoreError,
    TrackedFinding,
    TriageError,
)
from firstpatch.store.policy import DEFAULT_POLICY, DeadlinePolicy, load_policy

if TYPE_CHECKING:
    from firstpatch.store.sql import SqlStore

ENV_VAR = "FIRSTPATCH_DB"
DEFAULT_FILENAME = "firstpatch.db"


def default_url() -> str:
    """$FIRSTPATCH_DB (a URL, or a path to an SQLite file), else an SQLite file in the user's
    data folder, which is created if need be."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return configured if "://" in configured else sqlite_url(Path(configured).expanduser())
    directory = Path(platformdirs.user_data_dir("firstpatch", appauthor=False))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data folder {directory}: {exc.strerror}") from exc
    return sqlite_url(directory / DEFAULT_FILENAME)


def sqlite_url(path: Path) -> str:
    """The URL of an SQLite file, absolute so that it names the same file from any folder."""
    return f"sqlite:///{path.absolute()}"


def open_store(url: str | None = None) -> Store:
    """The store at `url` (default: `default_url()`), migrated to the current schema."""
    from firstpatch.store.sql import SqlStore

    return SqlStore(url if url is not None else default_url())


def __getattr__(name: str) -> Any:
    # The ORM loads on first use: a scan that stores nothing (`--no-store`) never needs it.
    if name == "SqlStore":
        from firstpatch.store.sql import SqlStore

        return SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
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
]
