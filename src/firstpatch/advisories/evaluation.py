"""OSV's evaluation of one `affected` entry, on versions placed in their package's orders.

An entry is compiled once against its package's `Orders` (see `ranks`): each range's events
become positions, sorted, and its listed versions a set of ranks. Evaluating a version is then
integer work: its position in the order (a dict lookup when the records name it) against the
events. The rules are the OSV schema's:

- a version equal to one of the entry's `versions` is affected;
- a range is walked in sorted event order: `introduced` switches to affected, `fixed`
  (exclusive) and `last_affected` (inclusive) switch back; when `limit` events exist the version
  must be below one of them. `introduced: "0"` sorts before every version and `limit: "*"` after.
  Events at equal versions keep the record's order (the schema leaves ties open; the record's
  order is the author's intent);
- ECOSYSTEM ranges are ordered as the ecosystem orders versions, SEMVER ranges as SemVer 2.0;
  GIT ranges need the repository's commit graph and are not evaluated: the record's `versions`
  list stands in for them;
- anything that cannot be decided (a bound or version the ordering refuses, only GIT ranges) is
  `Unknown` with its reason, never guessed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from firstpatch.advisories.ranks import INTRODUCED_ZERO, LIMIT_ANY, VersionOrder
from firstpatch.advisories.versions import SEMVER, ecosystem_scheme
from firstpatch.model import Affected, RangeEvent


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
class Orders:
    """A package's version orders: its ecosystem's (None when firstpatch has none), and SemVer's
    for SEMVER ranges (the same object when the ecosystem orders versions as SemVer)."""

    ecosystem: VersionOrder | None
    semver: VersionOrder

    @classmethod
    def of(cls, ecosystem: str, entries: Iterable[Affected]) -> Orders:
        """The orders of everything `entries` name: bounds of ECOSYSTEM and SEMVER ranges and
        listed versions in the ecosystem's order (fix candidates come from both kinds of range),
        SEMVER bounds in SemVer's."""
        scheme = ecosystem_scheme(ecosystem)
        texts: list[str] = []
        semver_texts: list[str] = []
        for affected in entries:
            for range_ in affected.ranges:
                if range_.type == "GIT":
                    continue
                named = [event.version for event in range_.events if not _special(event)]
                texts.extend(named)
                if range_.type == "SEMVER":
                    semver_texts.extend(named)
            texts.extend(affected.versions)
        own = VersionOrder.of(scheme, texts) if scheme is not None else None
        if own is not None and scheme is SEMVER:
            return cls(own, own)
        return cls(own, VersionOrder.of(SEMVER, semver_texts))


class Probe:
    """One version, and where it falls in each order it has been placed in (computed once)."""

    __slots__ = ("_at", "text")

    def __init__(self, text: str, order: VersionOrder | None = None, position: int | None = None) -> None:
        self.text = text
        self._at: dict[VersionOrder, int | None] = {}
        if order is not None:
            self._at[order] = position

    def at(self, order: VersionOrder) -> int | None:
        """The version's position in `order`; None when the order's scheme refuses it."""
        if order in self._at:
            return self._at[order]
        position = self._at[order] = order.position(self.text)
        return position


class Range:
    """One ECOSYSTEM or SEMVER range in its order: events sorted by position. (A plain class:
    a scan builds one per range of every record of its packages, and a frozen dataclass's
    `__init__` costs several times more.)"""

    __slots__ = ("kinds", "limits", "order", "positions", "texts")

    def __init__(
        self,
        order: VersionOrder,
        positions: tuple[int, ...],
        kinds: tuple[str, ...],
        texts: tuple[str, ...],  # as the record writes them, for reasons
        limits: tuple[int, ...],
    ) -> None:
        self.order = order
        self.positions = positions
        self.kinds = kinds
        self.texts = texts
        self.limits = limits

    def opened(self, position: int) -> int | None:
        """Index of the `introduced` event that leaves `position` affected, or None.

        Walking the sorted events, each event that applies sets the state outright, so the
        state is that of the last event that applies: found by bisection, then stepping back
        over events at or below the version that do not apply (`last_affected` equal to it, `limit`).
        """
        if self.limits and not any(position < limit for limit in self.limits):
            return None
        index = bisect_right(self.positions, position) - 1
        while index >= 0:
            kind = self.kinds[index]
            if kind == "introduced":
                return index
            if kind == "fixed" or (kind == "last_affected" and self.positions[index] < position):
                return None
            index -= 1
        return None

    def closing(self, opened: int) -> tuple[int, bool] | None:
        """The first fixed/last_affected event after `opened`: (its position, itself affected)."""
        for kind, position in zip(self.kinds[opened + 1 :], self.positions[opened + 1 :], strict=True):
            if kind in ("fixed", "last_affected"):
                return position, kind == "last_affected"
        return None

    def describe(self, opened: int) -> str:
        start = f"introduced {self.texts[opened]}"
        for kind, text in zip(self.kinds[opened + 1 :], self.texts[opened + 1 :], strict=True):
            if kind in ("fixed", "last_affected"):
                return f"{start}, {kind.replace('_', ' ')} {text}"
        return f"{start}, not fixed"

    def intervals(self) -> int:
        """How many intervals the range has (each `introduced` that opens one)."""
        count, opened = 0, False
        for kind in self.kinds:
            if kind == "introduced" and not opened:
                count, opened = count + 1, True
            elif kind in ("fixed", "last_affected"):
                opened = False
        return count

    def interval(self, opened: int) -> str:
        """The interval the `introduced` event at `opened` starts, for people: `< 2.2.5`,
        `>= 2.3.0, < 2.3.2`, `>= 1.0, <= 1.4` (limits, meant for GIT ranges, are left out)."""
        start = None if self.positions[opened] == INTRODUCED_ZERO else self.texts[opened]
        for kind, text in zip(self.kinds[opened + 1 :], self.texts[opened + 1 :], strict=True):
            if kind in ("fixed", "last_affected"):
                bound = f"{'<' if kind == 'fixed' else '<='} {text}"
                return bound if start is None else f">= {start}, {bound}"
        return "every version" if start is None else f">= {start}"


# A range as the record writes it: its type, and its events as (kind, version) in record order.
RawRange = tuple[str, Sequence[tuple[str, str]]]


class Entry:
    """An `affected` entry compiled against its package's orders."""

    __slots__ = ("_named", "ecosystem", "fixed", "git_only", "listed", "order", "ranges", "versions")

    def __init__(
        self, ecosystem: str, versions: tuple[str, ...], ranges: Sequence[RawRange], orders: Orders
    ) -> None:
        self.ecosystem = ecosystem  # as the record writes it (`Debian:12`): which releases it covers
        self.order = orders.ecosystem  # None when firstpatch has no ordering for the ecosystem
        self.ranges: tuple[Range | Unknown, ...] = tuple(  # GIT ranges left out
            _compile_range(kind, events, ecosystem, orders) for kind, events in ranges if kind != "GIT"
        )
        self.versions = versions
        # Ranks of the listed versions the order reads (the others cannot equal a version it reads).
        ranks = map(self.order.ranks.get, versions) if self.order is not None else ()
        self.listed: frozenset[int] = frozenset(rank for rank in ranks if rank is not None)
        self.git_only = bool(ranges) and not self.ranges and not versions
        self.fixed = tuple(
            version
            for kind, events in ranges
            if kind in ("ECOSYSTEM", "SEMVER")
            for event, version in events
            if event == "fixed"
        )
        self._named: tuple[tuple[int, str], ...] | None = None

    @classmethod
    def of(cls, affected: Affected, orders: Orders) -> Entry:
        ranges = [(r.type, [(e.kind, e.version) for e in r.events]) for r in affected.ranges]
        return cls(affected.ecosystem, affected.versions, ranges, orders)

    @property
    def named(self) -> tuple[tuple[int, str], ...]:
        """Fix candidates, (rank, spelling) ascending: the fixed bounds and listed versions the
        order reads, each version once in its first spelling. Worked out when first asked for:
        only remediation needs it."""
        if self._named is None:
            ranks = self.order.ranks if self.order is not None else {}
            texts = (*self.fixed, *self.versions)
            placed = [
                (rank, text)
                for rank, text in zip(map(ranks.get, texts), texts, strict=True)
                if rank is not None
            ]
            # Built from the end, so that the first spelling of each version is the one kept.
            self._named = tuple(sorted(dict(reversed(placed)).items()))
        return self._named


def affected_text(entries: Sequence[Entry], probe: Probe) -> str:
    """For a finding's message: the interval of the entries' ranges that holds the probed version,
    and how many other intervals they have; or, when only their list names it, that it is listed."""
    for entry in entries:
        for range_ in entry.ranges:
            if isinstance(range_, Unknown):
                continue
            position = probe.at(range_.order)
            opened = range_.opened(position) if position is not None else None
            if opened is not None:
                others = sum(r.intervals() for e in entries for r in e.ranges if isinstance(r, Range)) - 1
                more = f" and {others} other range{'s' if others > 1 else ''}" if others > 0 else ""
                return f"affected {range_.interval(opened)}{more}"
    listed = sum(len(entry.versions) for entry in entries)
    return f"listed among its {listed} affected version{'s' if listed > 1 else ''}" if listed else ""


def _special(event: RangeEvent) -> bool:
    return (event.kind == "introduced" and event.version == "0") or (
        event.kind == "limit" and event.version == "*"
    )


def _compile_range(
    kind: str, events: Sequence[tuple[str, str]], ecosystem: str, orders: Orders
) -> Range | Unknown:
    order = orders.semver if kind == "SEMVER" else orders.ecosystem
    if order is None:
        return Unknown(f"no version ordering for {kind} ranges of {ecosystem}")
    placed: list[tuple[int, str, str]] = []
    limits: list[int] = []
    ranks = order.ranks
    for event, version in events:
        if event == "introduced" and version == "0":
            position = INTRODUCED_ZERO
        elif event == "limit" and version == "*":
            position = LIMIT_ANY
        else:
            rank = ranks.get(version)
            if rank is None:
                return Unknown(f"range bound {version!r} is not a {order.scheme.name} version")
            position = 2 * rank + 1
        if event == "limit":
            limits.append(position)
        placed.append((position, event, version))
    if not placed:
        return Range(order, (), (), (), ())
    placed.sort(key=itemgetter(0))  # stable: events at equal versions keep the record's order
    positions, kinds, texts = zip(*placed, strict=True)
    return Range(order, positions, kinds, texts, tuple(limits))


AFFECTED = Affects("")  # the verdict when no reason is asked for


def verdict(entry: Entry, probe: Probe, explain: bool = True) -> Verdict:
    """Whether the entry covers the probed version (the entry's package is the caller's concern);
    an `Affects` says why only when `explain` (reasons cost more than the evaluation)."""
    text = probe.text
    if entry.order is not None and entry.listed:
        position = probe.at(entry.order)
        if position is not None and position & 1 and position >> 1 in entry.listed:
            return Affects(f"{text} is listed among the affected versions") if explain else AFFECTED
    unknown: Unknown | None = None
    for range_ in entry.ranges:
        if isinstance(range_, Unknown):
            unknown = range_
            continue
        position = probe.at(range_.order)
        if position is None:
            unknown = Unknown(f"version {text!r} is not a {range_.order.scheme.name} version")
            continue
        opened = range_.opened(position)
        if opened is not None:
            return Affects(f"{text} is in the range {range_.describe(opened)}") if explain else AFFECTED
    if unknown is not None:
        return unknown
    if entry.git_only:
        return Unknown("only GIT ranges, which need the repository's commit graph")
    return None


def escape(entry: Entry, position: int) -> tuple[int, bool] | None:
    """Where the ranges holding the version at `position` (in the entry's order) end: every
    version above it and below the returned position (or at it, when the flag is True) is
    affected too. None when a range holding it never ends; `(position, False)` when no range
    bounds anything. Ranges of another order, and capped ranges, are left out."""
    floor = (position, False)
    for range_ in entry.ranges:
        if isinstance(range_, Unknown) or range_.limits or range_.order is not entry.order:
            continue
        opened = range_.opened(position)
        if opened is None:
            continue
        closing = range_.closing(opened)
        if closing is None:
            return None
        if closing[0] > floor[0] or (closing[0] == floor[0] and closing[1] and not floor[1]):
            floor = closing
    return floor
