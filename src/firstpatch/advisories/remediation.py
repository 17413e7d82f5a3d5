"""The smallest upgrade that closes a vulnerable component's advisories.

Candidates are versions the advisories themselves name (their `fixed` events and their listed
`versions`), above the current version; pre-releases only when the current version is one.
Candidates are tried in the ecosystem's order, so the first fix found stays within the current
major version whenever one there fixes everything; `Remedy.major` says when it does not. The
answer is the first candidate that fixes every matched advisory and is affected by no other
known advisory of the package; when every fix is hit by another advisory, the first that fixes
the matched ones, with the others named. A candidate whose verdict cannot be decided does not
count as a fix. Everything is worked out on the package's index: candidates are ranks in its
order, and only the few candidates tried are parsed (for pre-release and major checks).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from firstpatch.advisories.evaluation import Affects, Entry, Probe, escape, verdict
from firstpatch.advisories.names import release_applies
from firstpatch.advisories.package_index import PackageIndex, index_advisories
from firstpatch.advisories.versions import Scheme, VersionKey, ecosystem_scheme
from firstpatch.model import Advisory, AdvisoryId, Ecosystem


@dataclass(frozen=True, slots=True)
class Remedy:
    """`version` None means no fix is available among the versions the advisories know."""

    version: str | None
    major: bool  # the fix is a new major version (or epoch): expect breaking changes
    reason: str
    still_affected_by: tuple[AdvisoryId, ...] = ()


def smallest_fix(
    ecosystem: Ecosystem,
    name: str,
    current: str,
    matched: Sequence[Advisory],
    known: Sequence[Advisory] = (),
    release: str | None = None,
) -> Remedy:
    """The smallest version of `name` above `current` that fixes every advisory in `matched`.

    `known` are the package's other advisories: a fix they affect is avoided when possible.
    """
    matched_ids = {advisory.id for advisory in matched}
    advisories = [*matched, *(advisory for advisory in known if advisory.id not in matched_ids)]
    index = index_advisories(ecosystem, name, advisories)
    mine = {number for number, record in enumerate(index.records) if record.id in matched_ids}
    return fix_in(index, current, mine, release, sorted(matched_ids))


def fix_in(
    index: PackageIndex,
    current: str,
    matched: Collection[int],
    release: str | None = None,
    matched_ids: Sequence[str] | None = None,
) -> Remedy:
    """The smallest fix of `current` for the index's records numbered `matched`, avoiding the
    others; `matched_ids` names the matched advisories when some have no entry in the index."""
    scheme = ecosystem_scheme(index.ecosystem)
    order = index.orders.ecosystem
    now = scheme.parse(current) if scheme is not None else None
    position = order.position(current) if order is not None else None
    if now is None or scheme is None or order is None or position is None:
        kind = scheme.name if scheme is not None else str(index.ecosystem)
        return Remedy(None, False, f"{current!r} is not a {kind} version; no upgrade computed")
    records = index.records
    fixed = ", ".join(matched_ids if matched_ids is not None else sorted(records[n].id for n in matched))
    no_fix = Remedy(None, False, f"no fix available: no known version above {current} fixes {fixed}")
    mine: list[Entry] = []
    theirs: list[tuple[str, Entry]] = []
    for number, record in enumerate(records):
        for entry in record.entries:
            if release_applies(entry.ecosystem, release):
                if number in matched:
                    mine.append(entry)
                else:
                    theirs.append((record.id, entry))

    # Versions below where the current version's affected intervals end are affected too: start there.
    floor = (position, True)
    for entry in mine:
        ends = escape(entry, position)
        if ends is None:
            return no_fix  # an interval holding the current version never ends
        if ends[0] > floor[0] or (ends[0] == floor[0] and ends[1] and not floor[1]):
            floor = ends

    partial: tuple[VersionKey, str, tuple[AdvisoryId, ...]] | None = None
    for rank, text in _candidates(floor, [*mine, *(entry for _, entry in theirs)]):
        candidate = order.key(rank)
        if scheme.is_prerelease(candidate) and not scheme.is_prerelease(now):
            continue
        probe = Probe(text, order, 2 * rank + 1)
        # A matched advisory is fixed when none of its entries affects the candidate, or may.
        if any(verdict(entry, probe, explain=False) is not None for entry in mine):
            continue
        hit = sorted(
            {
                AdvisoryId(i)
                for i, entry in theirs
                if isinstance(verdict(entry, probe, explain=False), Affects)
            }
        )
        if not hit:
            reason = f"{text} fixes {fixed}"
            if partial is not None:
                reason += f" ({partial[1]} does too but is affected by {', '.join(partial[2])})"
            return Remedy(text, _is_major(scheme, now, candidate), reason)
        if partial is None:
            partial = (candidate, text, tuple(hit))
    if partial is not None:
        candidate, text, still = partial
        reason = f"{text} fixes {fixed} but is affected by {', '.join(still)}; no known version fixes all"
        return Remedy(text, _is_major(scheme, now, candidate), reason, still)
    return no_fix


def _candidates(floor: tuple[int, bool], entries: list[Entry]) -> list[tuple[int, str]]:
    """Ranks the entries name, ascending, each once (the first entry's spelling), from the floor
    up: above it when the floor itself is affected, from it otherwise."""
    bound, affected = floor
    named: dict[int, str] = {}
    for entry in entries:
        for rank, text in entry.named:
            position = 2 * rank + 1
            if position > bound or (position == bound and not affected):
                named.setdefault(rank, text)
    return sorted(named.items())


def _is_major(scheme: Scheme, now: VersionKey, fix: VersionKey) -> bool:
    return scheme.major(fix) > scheme.major(now)
