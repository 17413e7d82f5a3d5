"""Whether a package version is affected by an advisory, as the OSV schema's evaluation says.

For each `affected` entry naming the package: the version is affected when it equals one of the
entry's `versions`, or falls in one of its ranges. A range is evaluated by walking its events
sorted by version: `introduced` switches to affected, `fixed` (exclusive) and `last_affected`
(inclusive) switch back; when `limit` events exist the version must be below one of them.
`introduced: "0"` sorts before every version and `limit: "*"` after. Events at equal versions
keep the record's order (the schema leaves ties open; the record's order is the author's intent).

Ordering is PEP 440 as `packaging.version` implements it. Withdrawn records are ignored. GIT
ranges need the repository's commit graph and are not evaluated: the record's `versions` list
stands in for them. Anything that cannot be decided (a version or bound that is not PEP 440, a
SEMVER range, a record with only GIT ranges) is reported with its reason, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from packaging.version import InvalidVersion, Version

from firstpatch.advisories.names import ecosystem_base, normalise
from firstpatch.model import Advisory, Affected, AffectedRange, Ecosystem


@dataclass(frozen=True, slots=True)
class Affects:
    """The version is affected; `reason` says by which entry of the record."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unknown:
    """Whether the version is affected cannot be decided from the record; `reason` says why."""

    reason: str


Verdict = Affects | Unknown | None  # None: not affected


@dataclass(frozen=True, slots=True)
class Match:
    advisory: Advisory
    reason: str


@dataclass(frozen=True, slots=True)
class Undecided:
    advisory: Advisory
    reason: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The advisories that affect one package version, and those that could not be decided.

    `reason` is set, and nothing is matched, when the version itself cannot be evaluated.
    """

    matches: tuple[Match, ...] = ()
    undecided: tuple[Undecided, ...] = ()
    reason: str = ""


_ZERO = Version("0")


class _BadBound(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """The PEP 440 version, or None when `text` is not one (legacy versions included)."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def match(ecosystem: Ecosystem, name: str, version: str, advisories: Iterable[Advisory]) -> MatchResult:
    """Which of `advisories` affect `name` at `version`."""
    if ecosystem is not Ecosystem.PYPI:
        return MatchResult(reason=f"no version ordering for {ecosystem} yet; not matched")
    parsed = parse_version(version)
    if parsed is None:
        return MatchResult(reason=f"version {version!r} is not a PEP 440 version; not matched")
    key = normalise(ecosystem, name)
    matches: list[Match] = []
    undecided: list[Undecided] = []
    for advisory in advisories:
        if advisory.withdrawn is not None:
            continue
        unknown: Unknown | None = None
        for affected in advisory.affected:
            if ecosystem_base(affected.ecosystem) != ecosystem or normalise(ecosystem, affected.name) != key:
                continue
            verdict = evaluate(parsed, affected)
            if isinstance(verdict, Affects):
                matches.append(Match(advisory, verdict.reason))
                unknown = None
                break
            if isinstance(verdict, Unknown):
                unknown = verdict
        if unknown is not None:
            undecided.append(Undecided(advisory, unknown.reason))
    return MatchResult(tuple(matches), tuple(undecided))


def evaluate(version: Version, affected: Affected) -> Verdict:
    """Whether one `affected` entry covers `version` (the entry's package is the caller's concern)."""
    if version in _listed(affected.versions):
        return Affects(f"{version} is listed among the affected versions")
    unknown: Unknown | None = None
    for range_ in affected.ranges:
        if range_.type == "GIT":
            continue
        if range_.type != "ECOSYSTEM":
            unknown = Unknown(f"a {range_.type} range is not evaluated with PEP 440 ordering")
            continue
        try:
            interval = _interval(version, range_)
        except _BadBound as exc:
            unknown = Unknown(f"range bound {exc.text!r} is not a PEP 440 version")
            continue
        if interval is not None:
            return Affects(f"{version} is in the range {interval}")
    if unknown is not None:
        return unknown
    if affected.ranges and not affected.versions and all(r.type == "GIT" for r in affected.ranges):
        return Unknown("only GIT ranges, which need the repository's commit graph")
    return None


def in_range(version: Version, range_: AffectedRange) -> bool:
    """Whether `version` is in one ECOSYSTEM range; raises ValueError for a non-PEP 440 bound."""
    try:
        return _interval(version, range_) is not None
    except _BadBound as exc:
        raise ValueError(f"range bound {exc.text!r} is not a PEP 440 version") from exc


def _interval(version: Version, range_: AffectedRange) -> str | None:
    """The affected interval of `range_` that holds `version`, described; None when outside."""
    events = _sorted_events(range_)
    limits = [bound for kind, bound, _ in events if kind == "limit"]
    if limits and not any(bound is None or version < bound for bound in limits):
        return None
    opened: int | None = None  # index of the `introduced` event that made the version affected
    for index, (kind, bound, _) in enumerate(events):
        if kind == "introduced" and (bound is None or version >= bound):
            opened = index
        elif (kind == "fixed" and bound is not None and version >= bound) or (
            kind == "last_affected" and bound is not None and version > bound
        ):
            opened = None
    if opened is None:
        return None
    start = f"introduced {events[opened][2]}"
    for kind, _, text in events[opened + 1 :]:
        if kind in ("fixed", "last_affected"):
            return f"{start}, {kind.replace('_', ' ')} {text}"
    return f"{start}, not fixed"


@lru_cache(maxsize=16384)
def _sorted_events(range_: AffectedRange) -> tuple[tuple[str, Version | None, str], ...]:
    """(kind, bound, text) sorted by bound; None bounds are `introduced: 0` (first) and `limit: *`."""
    keyed: list[tuple[int, Version, tuple[str, Version | None, str]]] = []
    for event in range_.events:
        if event.kind == "introduced" and event.version == "0":
            keyed.append((0, _ZERO, (event.kind, None, event.version)))
        elif event.kind == "limit" and event.version == "*":
            keyed.append((2, _ZERO, (event.kind, None, event.version)))
        else:
            bound = parse_version(event.version)
            if bound is None:
                raise _BadBound(event.version)
            keyed.append((1, bound, (event.kind, bound, event.version)))
    keyed.sort(key=lambda item: (item[0], item[1]))  # a stable sort: ties keep the record's order
    return tuple(event for _, _, event in keyed)


@lru_cache(maxsize=16384)
def _listed(versions: tuple[str, ...]) -> frozenset[Version]:
    """The entry's explicit versions that parse; one that does not cannot equal a PEP 440 version."""
    return frozenset(v for v in map(parse_version, versions) if v is not None)
