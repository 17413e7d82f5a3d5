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

from bisect import bisect_right
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
            if compiled(affected).package != (ecosystem, key):
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
    entry = compiled(affected)
    if version in entry.listed:
        return Affects(f"{version} is listed among the affected versions")
    unknown: Unknown | None = None
    for range_ in entry.ranges:
        if isinstance(range_, Unknown):
            unknown = range_
            continue
        opened = range_.opened(version)
        if opened is not None:
            return Affects(f"{version} is in the range {range_.describe(opened)}")
    if unknown is not None:
        return unknown
    if entry.git_only:
        return Unknown("only GIT ranges, which need the repository's commit graph")
    return None


def in_range(version: Version, range_: AffectedRange) -> bool:
    """Whether `version` is in one ECOSYSTEM range; raises ValueError for a non-PEP 440 bound."""
    compiled_range = _compile_range(range_)
    if isinstance(compiled_range, _Range):
        return compiled_range.opened(version) is not None
    raise ValueError(compiled_range.reason)


def escape_floor(version: Version, affected: Affected) -> tuple[Version, bool] | None:
    """Where the ranges holding `version` end: every version above `version` and below the
    returned bound (or equal to it, when the flag is True) is affected too. None when a range
    holding `version` never ends. `(version, False)` when no range bounds anything.

    Remediation uses this to skip candidates that cannot be fixes; it proves nothing on its own.
    """
    floor, floor_affected = version, False
    for range_ in compiled(affected).ranges:
        if isinstance(range_, Unknown) or range_.limits:
            continue
        opened = range_.opened(version)
        if opened is None:
            continue
        closing = range_.closing(opened)
        if closing is None:
            return None
        bound, inclusive = closing
        floor, floor_affected = max((floor, floor_affected), (bound, inclusive))
    return floor, floor_affected


@dataclass(frozen=True, slots=True)
class _Range:
    """One ECOSYSTEM range, sorted once: `keys` for bisection, events in the same order."""

    keys: tuple[tuple[int, Version], ...]  # (0, _) introduced "0"; (1, bound); (2, _) limit "*"
    events: tuple[tuple[str, str], ...]  # (kind, version as written)
    limits: tuple[Version | None, ...]  # None is limit "*"

    def opened(self, version: Version) -> int | None:
        """Index of the `introduced` event that leaves `version` affected, or None.

        Walking the sorted events, each event that applies sets the state outright, so the
        state is that of the last event that applies: found by bisection, then stepping back
        over events at or below `version` that do not apply (`last_affected` equal to it, `limit`).
        """
        if self.limits and not any(limit is None or version < limit for limit in self.limits):
            return None
        index = bisect_right(self.keys, (1, version)) - 1
        while index >= 0:
            kind = self.events[index][0]
            if kind == "introduced":
                return index
            if kind == "fixed" or (kind == "last_affected" and self.keys[index][1] < version):
                return None
            index -= 1
        return None

    def closing(self, opened: int) -> tuple[Version, bool] | None:
        """The first fixed/last_affected event after `opened`: (bound, bound itself affected)."""
        for (kind, _), (_, bound) in zip(self.events[opened + 1 :], self.keys[opened + 1 :], strict=True):
            if kind in ("fixed", "last_affected"):
                return bound, kind == "last_affected"
        return None

    def describe(self, opened: int) -> str:
        start = f"introduced {self.events[opened][1]}"
        for kind, text in self.events[opened + 1 :]:
            if kind in ("fixed", "last_affected"):
                return f"{start}, {kind.replace('_', ' ')} {text}"
        return f"{start}, not fixed"


@dataclass(frozen=True, slots=True)
class _Entry:
    """An `Affected` entry prepared for repeated evaluation."""

    package: tuple[str, str]  # ecosystem without suffix, normalised name
    listed: frozenset[Version]  # explicit versions that parse; others cannot equal a PEP 440 version
    ranges: tuple[_Range | Unknown, ...]  # GIT ranges left out; Unknown for ranges not evaluable
    git_only: bool  # only GIT ranges and no versions: nothing here can decide
    named: tuple[tuple[Version, str], ...]  # fixed bounds and listed versions, ascending: fix candidates


# Prepared entries by object identity. Hashing a frozen `Affected` by value walks its whole
# versions list (hundreds of strings for popular packages), which costs more than evaluating it.
# Each value keeps its entry alive, so an id cannot be reused while it is cached.
_PREPARED: dict[int, tuple[Affected, _Entry]] = {}
_PREPARED_MAX = 65536


def compiled(affected: Affected) -> _Entry:
    cached = _PREPARED.get(id(affected))
    if cached is not None and cached[0] is affected:
        return cached[1]
    if len(_PREPARED) >= _PREPARED_MAX:
        _PREPARED.clear()
    ranges = tuple(_compile_range(r) for r in affected.ranges if r.type != "GIT")
    named: dict[Version, str] = {}
    fixed = [
        e.version for r in affected.ranges if r.type == "ECOSYSTEM" for e in r.events if e.kind == "fixed"
    ]
    for text in (*fixed, *affected.versions):
        version = parse_version(text)
        if version is not None:
            named.setdefault(version, text)
    entry = _Entry(
        package=(ecosystem_base(affected.ecosystem), normalise(affected.ecosystem, affected.name)),
        listed=frozenset(v for v in map(parse_version, affected.versions) if v is not None),
        ranges=ranges,
        git_only=bool(affected.ranges) and not ranges and not affected.versions,
        named=tuple(sorted(named.items())),
    )
    _PREPARED[id(affected)] = (affected, entry)
    return entry


def clear_caches() -> None:
    """Forget prepared entries and parsed versions (benchmarks measure cold runs with this)."""
    _PREPARED.clear()
    parse_version.cache_clear()


def _compile_range(range_: AffectedRange) -> _Range | Unknown:
    if range_.type != "ECOSYSTEM":
        return Unknown(f"a {range_.type} range is not evaluated with PEP 440 ordering")
    keyed: list[tuple[tuple[int, Version], tuple[str, str]]] = []
    limits: list[Version | None] = []
    for event in range_.events:
        if event.kind == "introduced" and event.version == "0":
            key = (0, _ZERO)
        elif event.kind == "limit" and event.version == "*":
            key = (2, _ZERO)
        else:
            bound = parse_version(event.version)
            if bound is None:
                return Unknown(f"range bound {event.version!r} is not a PEP 440 version")
            key = (1, bound)
        if event.kind == "limit":
            limits.append(None if key[0] == 2 else key[1])
        keyed.append((key, (event.kind, event.version)))
    keyed.sort(key=lambda item: item[0])  # a stable sort: events at equal versions keep the record's order
    return _Range(
        keys=tuple(key for key, _ in keyed),
        events=tuple(event for _, event in keyed),
        limits=tuple(limits),
    )
