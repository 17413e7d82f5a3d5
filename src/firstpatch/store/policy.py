"""Deadline policy: how many days an open finding may stay open, by severity and KEV membership.

A policy file is TOML or YAML with one table, each key optional (defaults below; `none` for
severity "none" has no default, so such findings get no deadline unless they are in KEV):

    [deadlines]          # deadlines:
    kev = 7              #   kev: 7
    critical = 15        #   critical: 15
    high = 30            #   high: 30
    medium = 90          #   medium: 90
    low = 180            #   low: 180
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from firstpatch.model import Severity
from firstpatch.store.interface import PolicyError

TABLE = "deadlines"
KEYS = ("kev", "critical", "high", "medium", "low", "none")
MAX_POLICY_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """Days allowed from when a finding opened; None sets no deadline."""

    kev: int | None = 7  # in CISA's Known Exploited Vulnerabilities catalogue, whatever the severity
    critical: int | None = 15
    high: int | None = 30
    medium: int | None = 90
    low: int | None = 180
    none: int | None = None

    def days_allowed(self, severity: Severity, in_kev: bool) -> int | None:
        """The stricter of the severity's deadline and, for a finding in KEV, the KEV deadline."""
        limits = [getattr(self, severity.value)]
        if in_kev:
            limits.append(self.kev)
        set_limits = [days for days in limits if days is not None]
        return min(set_limits) if set_limits else None

    def with_overrides(self, assignments: Iterable[str]) -> DeadlinePolicy:
        """This policy with `KEY=DAYS` assignments (from the command line) applied."""
        changes: dict[str, int | None] = {}
        for assignment in assignments:
            key, sep, days = assignment.partition("=")
            where = f"--deadline {assignment}"
            if not sep:
                raise PolicyError(f"{where}: expected KEY=DAYS, e.g. high=30")
            changes[_key(key.strip(), where)] = _days(days.strip(), where)
        return dataclasses.replace(self, **changes)


DEFAULT_POLICY = DeadlinePolicy()


def load_policy(path: Path) -> DeadlinePolicy:
    """The policy in a TOML (`.toml`) or YAML (any other suffix) file; unset keys keep defaults."""
    try:
        if path.stat().st_size > MAX_POLICY_BYTES:
            raise PolicyError(f"{path}: a policy file is at most {MAX_POLICY_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    document = _toml(path, text) if path.suffix.lower() == ".toml" else _yaml(path, text)
    return parse_policy(document, path, text)


def parse_policy(document: object, path: Path, text: str = "") -> DeadlinePolicy:
    """A policy from a parsed document; `text` lets errors name the line a key is on."""
    if document is None:
        return DEFAULT_POLICY
    if not isinstance(document, Mapping):
        raise PolicyError(f"{path}: expected a table named {TABLE!r} at the top")
    for name in document:
        if name != TABLE:
            raise PolicyError(f"{_where(path, text, name)}: unknown table {name!r}; expected {TABLE!r}")
    table = document.get(TABLE)
    if table is None:
        return DEFAULT_POLICY
    if not isinstance(table, Mapping):
        raise PolicyError(f"{_where(path, text, TABLE)}: {TABLE!r} must be a table of KEY = DAYS")
    changes = {}
    for key, days in table.items():
        where = _where(path, text, str(key))
        changes[_key(str(key), where)] = _days(days, where)
    return dataclasses.replace(DEFAULT_POLICY, **changes)


def _toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's message ends "(at line L, column C)"; moved to the front as path:line.
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)$", message)
        if found is None:
            raise PolicyError(f"{path}: not valid TOML: {message}") from exc
        reason = message[: found.start()].strip()
        raise PolicyError(f"{path}:{found.group(1)}: not valid TOML: {reason}") from exc


def _yaml(path: Path, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise PolicyError(f"{path}{line}: not valid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc


def _where(path: Path, text: str, key: str) -> str:
    """`path:line` of the first line that sets `key` (TOML `key =` or YAML `key:`), else `path`."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]|^\s*\[\s*{re.escape(key)}\s*\]")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return f"{path}:{number}"
    return str(path)


def _key(key: str, where: str) -> str:
    if key not in KEYS:
        raise PolicyError(f"{where}: unknown deadline {key!r}; expected one of {', '.join(KEYS)}")
    return key


def _days(value: object, where: str) -> int | None:
    if isinstance(value, str):
        if value.strip().lower() in ("", "none", "never"):
            return None
        value = int(value) if value.strip().isdigit() else value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyError(f"{where}: days must be a whole number of 0 or more, or 'never'; got {value!r}")
    return value
