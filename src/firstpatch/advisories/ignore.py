"""Output filters over a run's findings: `--only-fixable`, `--min-risk`, and an ignore file.

The ignore file (`.firstpatch-ignore.yaml`, `.yml` or `.toml` at the project root) lists ids
to leave out of reports, each with why and until when:

    ignore:
      - id: PYSEC-2023-62          # an advisory id, an alias (CVE, GHSA), a rule id or a fingerprint
        reason: the debug server is never exposed
        expires: 2026-12-31        # the last day it is ignored

An entry past its expiry stops ignoring, and the notes say so; an entry without a reason or an
expiry, or a file that cannot be read, is an error naming the file (and the entry).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import yaml

from firstpatch.advisories.interface import AdvisoryError
from firstpatch.model import Finding, Run

IGNORE_FILES = (".firstpatch-ignore.yaml", ".firstpatch-ignore.yml", ".firstpatch-ignore.toml")


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    id: str
    reason: str
    expires: date


@dataclass(frozen=True, slots=True)
class Filtered:
    """The run with findings left out, and one note per decision (for the terminal)."""

    run: Run
    notes: tuple[str, ...]


def find_ignore_file(root: Path) -> Path | None:
    return next((root / name for name in IGNORE_FILES if (root / name).is_file()), None)


def load_ignore_file(path: Path) -> tuple[IgnoreEntry, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdvisoryError(f"{path}: cannot read: {exc}") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise AdvisoryError(f"{path}: not valid TOML: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise AdvisoryError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    items = data.get("ignore") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise AdvisoryError(f"{path}: expected an `ignore` list of entries with id, reason and expires")
    entries = []
    for index, item in enumerate(items):
        where = f"{path}: ignore[{index}]"
        if not isinstance(item, dict):
            raise AdvisoryError(f"{where} must be a table/mapping with id, reason and expires")
        ident, reason, expires = item.get("id"), item.get("reason"), item.get("expires")
        if not isinstance(ident, str) or not ident.strip():
            raise AdvisoryError(f"{where} has no id")
        if not isinstance(reason, str) or not reason.strip():
            raise AdvisoryError(f"{where} ({ident}) has no reason: say why it is ignored")
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                raise AdvisoryError(
                    f"{where} ({ident}) expires {expires!r} is not a YYYY-MM-DD date"
                ) from None
        if not isinstance(expires, date):
            raise AdvisoryError(f"{where} ({ident}) has no expires date (YYYY-MM-DD)")
        entries.append(IgnoreEntry(ident.strip(), reason.strip(), expires))
    return tuple(entries)


def _names(finding: Finding) -> set[str]:
    return {finding.rule_id, finding.fingerprint, *finding.advisory_ids, *finding.aliases}


def apply_ignores(run: Run, entries: Sequence[IgnoreEntry], today: date | None = None) -> Filtered:
    """The run without the findings that a live entry names; expired entries ignore nothing."""
    today = today or date.today()
    live = {e.id: e for e in entries if e.expires >= today}
    notes = [
        f"ignore entry {e.id} expired on {e.expires}: no longer ignored ({e.reason})"
        for e in entries
        if e.expires < today
    ]
    kept = []
    for finding in run.findings:
        hit = next((live[name] for name in sorted(_names(finding)) if name in live), None)
        if hit is None:
            kept.append(finding)
        else:
            notes.append(f"ignored {finding.rule_id} ({hit.id}) until {hit.expires}: {hit.reason}")
    return Filtered(replace(run, findings=tuple(kept)), tuple(notes))


def is_fixable(finding: Finding) -> bool:
    """A dependency with a fixed version to upgrade to, or code with a verified patch."""
    from firstpatch.model import PatchStatus

    return finding.fix_version is not None or (
        finding.patch is not None and finding.patch.status is PatchStatus.VERIFIED
    )


def only_fixable(run: Run) -> Run:
    return replace(run, findings=tuple(f for f in run.findings if is_fixable(f)))


def min_risk(run: Run, threshold: float) -> Run:
    """Findings whose risk is at least `threshold` (0–10); risks come from `rank.ranked`."""
    return replace(run, findings=tuple(f for f in run.findings if f.risk >= threshold))
