"""Whether a package version is affected by an advisory, as the OSV schema's evaluation says.

For each `affected` entry naming the package: the version is affected when it equals one of the
entry's `versions`, or falls in one of its ranges. A range is evaluated by walking its events
sorted by version: `introduced` switches to affected, `fixed` (exclusive) and `last_affected`
(inclusive) switch back; when `limit` events exist the version must be below one of them.
`introduced: "0"` sorts before every version and `limit: "*"` after. Events at equal versions
keep the record's order (the schema leaves ties open; the record's order is the author's intent).

ECOSYSTEM ranges are ordered as the ecosystem orders versions, SEMVER ranges as SemVer 2.0
(`versions`). Withdrawn records are ignored. GIT ranges need the repository's commit graph and
are not evaluated: the record's `versions` list stands in for them. Anything that cannot be
decided (a version or bound the ordering refuses, a record with only GIT ranges) is reported
with its reason, never guessed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from firstpatch.advisories.names import ecosystem_base, normalise, release_applies
from firstpatch.advisories.versions import PEP440, Scheme, VersionKey, ecosystem_scheme, range_scheme
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


def parse_version(text: str) -> Version | None:
    """The PEP 440 version, or None when `text` is not one (legacy versions included)."""
    parsed = PEP440.parse(text)
    return parsed if isinstance(parsed, Version) else None


def match(
    ecosystem: Ecosystem,
    name: str,
    version: str,
    advisories: Iterable[Advisory],
    release: str | None = None,
) -> MatchResult:
    """Which of `advisories` affect `name` at `version` (from distribution `release`, for OS
    packages: records for other releases do not apply)."""
    scheme = ecosystem_scheme(ecosystem)
    if scheme is None:
        return MatchResult(reason=f"no version ordering for {ecosystem}; not matched")
    if scheme.parse(version) is None:
        return MatchResult(reason=f"version {version!r} is not a {scheme.name} version; not matched")
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
            if not release_applies(affected.ecosystem, release):
                continue
            verdict = evaluate(version, affected)
            if isinstance(verdict, Affects):
                matches.append(Match(advisory, verdict.reason))
                unknown = None
                break
            if isinstance(verdict, Unknown):
                unknown = verdict
        if unknown is not None:
            undecided.append(Undecided(advisory, unknown.reason))
    return MatchResult(tuple(matches), tuple(undecided))


def evaluate(version: str | VersionKey, affected: Affected) -> Verdict:
    """Whether one `affected` entry covers `version` (the entry's package is the caller's concern)."""
    text = str(version)
    entry = compiled(affected)
    if entry.scheme is not None and _listed(entry, text):
        return Affects(f"{text} is listed among the affected versions")
    unknown: Unknown | None = None
    for range_ in entry.ranges:
        if isinstance(range_, Unknown):
            unknown = range_
            continue
        key = range_.scheme.parse(text)
        if key is None:
            unknown = Unknown(f"version {text!r} is not a {range_.scheme.name} version")
            continue
        opened = range_.opened(key)
        if opened is not None:
            return Affects(f"{text} is in the range {range_.describe(opened)}")
    if unknown is not None:
        return unknown
    if entry.git_only:
        return Unknown("only GIT ranges, which need the repository's commit graph")
    return None


def _listed(entry: _Entry, text: str) -> bool:
    if text in entry.listed_texts:
        return True
    if not entry.listed or entry.scheme is None:
        return False
    key = entry.scheme.parse(text)
    if key is None:
        return False
    index = bisect_left(entry.listed, key)
    return index < len(entry.listed) and entry.listed[index] == key


def in_range(version: str | VersionKey, range_: AffectedRange, ecosystem: str = Ecosystem.PYPI) -> bool:
    """Whether `version` is in one range; raises ValueError for a bound or version the
    ordering refuses."""
    compiled_range = _compile_range(range_, ecosystem)
    if isinstance(compiled_range, Unknown):
        raise ValueError(compiled_range.reason)  # noqa: TRY004 - a bound that cannot be read is a value error
    key = compiled_range.scheme.parse(str(version))
    if key is None:
        raise ValueError(f"version {str(version)!r} is not a {compiled_range.scheme.name} version")
    return compiled_range.opened(key) is not None


def escape_floor(version: str | VersionKey, affected: Affected) -> tuple[VersionKey, bool] | None:
    """Where the ranges holding `version` end: every version above `version` and below the
    returned bound (or equal to it, when the flag is True) is affected too. None when a range
    holding `version` never ends. `(version, False)` when no range bounds anything.

    Bounds are in the ecosystem's ordering; ranges of another ordering are left out. Remediation
    uses this to skip candidates that cannot be fixes; it proves nothing on its own.
    """
    entry = compiled(affected)
    scheme = entry.scheme
    key = scheme.parse(str(version)) if scheme is not None else None
    if key is None or scheme is None:
        return None
    floor: tuple[VersionKey, bool] = (key, False)
    for range_ in entry.ranges:
        if isinstance(range_, Unknown) or range_.limits or range_.scheme is not scheme:
            continue
        opened = range_.opened(key)
        if opened is None:
            continue
        closing = range_.closing(opened)
        if closing is None:
            return None
        if closing[0] > floor[0] or (closing[0] == floor[0] and closing[1] and not floor[1]):
            floor = closing
    return floor


@dataclass(frozen=True, slots=True)
class _Range:
    """One ordered range, sorted once: `keys` for bisection, events in the same order."""

    scheme: Scheme
    keys: tuple[tuple[int, VersionKey | None], ...]  # (0, None) introduced "0"; (1, bound); (2, None) "*"
    events: tuple[tuple[str, str], ...]  # (kind, version as written)
    limits: tuple[VersionKey | None, ...]  # None is limit "*"
    sorted_keys: tuple[_Ordered, ...]  # `keys` as bisection compares them

    def opened(self, version: VersionKey) -> int | None:
        """Index of the `introduced` event that leaves `version` affected, or None.

        Walking the sorted events, each event that applies sets the state outright, so the
        state is that of the last event that applies: found by bisection, then stepping back
        over events at or below `version` that do not apply (`last_affected` equal to it, `limit`).
        """
        if self.limits and not any(limit is None or version < limit for limit in self.limits):
            return None
        index = bisect_right(self.sorted_keys, _Ordered((1, version))) - 1
        while index >= 0:
            kind = self.events[index][0]
            if kind == "introduced":
                return index
            if kind == "fixed" or (kind == "last_affected" and _below(self.keys[index], version)):
                return None
            index -= 1
        return None

    def closing(self, opened: int) -> tuple[VersionKey, bool] | None:
        """The first fixed/last_affected event after `opened`: (bound, bound itself affected)."""
        for (kind, _), (_, bound) in zip(self.events[opened + 1 :], self.keys[opened + 1 :], strict=True):
            if kind in ("fixed", "last_affected") and bound is not None:
                return bound, kind == "last_affected"
        return None

    def describe(self, opened: int) -> str:
        start = f"introduced {self.events[opened][1]}"
        for kind, text in self.events[opened + 1 :]:
            if kind in ("fixed", "last_affected"):
                return f"{start}, {kind.replace('_', ' ')} {text}"
        return f"{start}, not fixed"


class _Ordered:
    """A range key as bisection compares it: the rank first, then the version when both have one."""

    __slots__ = ("rank", "version")

    def __init__(self, key: tuple[int, VersionKey | None]) -> None:
        self.rank, self.version = key

    def __lt__(self, other: _Ordered) -> bool:
        if self.rank != other.rank:
            return self.rank < other.rank
        if self.version is None or other.version is None:
            return False
        return bool(self.version < other.version)


def _below(key: tuple[int, VersionKey | None], version: VersionKey) -> bool:
    return key[0] == 0 or (key[0] == 1 and key[1] is not None and key[1] < version)


@dataclass(frozen=True, slots=True)
class _Entry:
    """An `Affected` entry prepared for repeated evaluation."""

    package: tuple[str, str]  # ecosystem without suffix, normalised name
    scheme: Scheme | None  # the ecosystem's ordering; None when firstpatch has none for it
    listed_texts: frozenset[str]  # explicit versions as written
    listed: tuple[VersionKey, ...]  # explicit versions the ordering reads, ascending
    ranges: tuple[_Range | Unknown, ...]  # GIT ranges left out; Unknown for ranges not evaluable
    git_only: bool  # only GIT ranges and no versions: nothing here can decide
    named: tuple[tuple[VersionKey, str], ...]  # fixed bounds and listed versions, ascending: fix candidates


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
    scheme = ecosystem_scheme(affected.ecosystem)
    ranges = tuple(_compile_range(r, affected.ecosystem) for r in affected.ranges if r.type != "GIT")
    listed: list[VersionKey] = []
    named: list[tuple[VersionKey, str]] = []
    if scheme is not None:
        listed = sorted(
            (key for key in map(scheme.parse, affected.versions) if key is not None), key=_version_only
        )
        fixed = [
            e.version
            for r in affected.ranges
            if r.type in ("ECOSYSTEM", "SEMVER")
            for e in r.events
            if e.kind == "fixed"
        ]
        for text in (*fixed, *affected.versions):
            key = scheme.parse(text)
            if key is not None:
                named.append((key, text))
        named = _unique_sorted(named)
    entry = _Entry(
        package=(ecosystem_base(affected.ecosystem), normalise(affected.ecosystem, affected.name)),
        scheme=scheme,
        listed_texts=frozenset(affected.versions),
        listed=tuple(listed),
        ranges=ranges,
        git_only=bool(affected.ranges) and not ranges and not affected.versions,
        named=tuple(named),
    )
    _PREPARED[id(affected)] = (affected, entry)
    return entry


def _version_only(key: VersionKey) -> Any:
    """Keys sort by themselves (every key of a scheme orders against the others)."""
    return key


def _unique_sorted(items: list[tuple[VersionKey, str]]) -> list[tuple[VersionKey, str]]:
    """Ascending by version, each version once (its first spelling: the sort is stable)."""
    unique: list[tuple[VersionKey, str]] = []
    for item in sorted(items, key=_first):
        if not unique or unique[-1][0] != item[0]:
            unique.append(item)
    return unique


def _first(item: tuple[VersionKey, str]) -> Any:
    return item[0]


def clear_caches() -> None:
    """Forget prepared entries and parsed versions (benchmarks measure cold runs with this)."""
    from firstpatch.advisories.versions import clear_caches as clear_versions

    _PREPARED.clear()
    clear_versions()


def _compile_range(range_: AffectedRange, ecosystem: str) -> _Range | Unknown:
    scheme = range_scheme(range_.type, ecosystem)
    if scheme is None:
        return Unknown(f"no version ordering for {range_.type} ranges of {ecosystem}")
    keyed: list[tuple[tuple[int, VersionKey | None], tuple[str, str]]] = []
    limits: list[VersionKey | None] = []
    for event in range_.events:
        key: tuple[int, VersionKey | None]
        if event.kind == "introduced" and event.version == "0":
            key = (0, None)
        elif event.kind == "limit" and event.version == "*":
            key = (2, None)
        else:
            bound = scheme.parse(event.version)
            if bound is None:
                return Unknown(f"range bound {event.version!r} is not a {scheme.name} version")
            key = (1, bound)
        if event.kind == "limit":
            limits.append(key[1])
        keyed.append((key, (event.kind, event.version)))
    # A stable sort: events at equal versions keep the record's order.
    keyed.sort(key=lambda item: _Ordered(item[0]))
    return _Range(
        scheme=scheme,
        keys=tuple(key for key, _ in keyed),
        events=tuple(event for _, event in keyed),
        limits=tuple(limits),
        sorted_keys=tuple(_Ordered(key) for key, _ in keyed),
    )
