"""A package's named versions in one ordering, sorted once, so that matching compares integers.

An OSV range only ever asks where a version falls among the versions its package's records
name (range bounds and listed versions). Those are parsed and sorted once by the ecosystem's
library (at import, for the store), equal spellings grouped (`1.0` and `1.0.0` under PEP 440).
A version is then a position: `2r + 1` when it equals group `r`, `2r` when it lies between
groups `r - 1` and `r`. A version the order names is placed by one dict lookup; any other by
bisection, which parses only the few groups it is compared with.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

from firstpatch.advisories.interface import AdvisoryError
from firstpatch.advisories.versions import Scheme, VersionKey

INTRODUCED_ZERO = -1  # OSV's `introduced: "0"`: before every version
LIMIT_ANY = sys.maxsize  # OSV's `limit: "*"`: after every version

# Separators of the stored form; `check_text` keeps them out of every stored text.
_GROUPS = "\x1e"
_SPELLINGS = "\x1f"


class VersionOrder:
    """The versions one package's records name, under one scheme, ascending, equal ones grouped."""

    __slots__ = ("_keys", "groups", "ranks", "scheme")

    def __init__(
        self, scheme: Scheme, groups: Sequence[Sequence[str]], ranks: dict[str, int] | None = None
    ) -> None:
        self.scheme = scheme
        self.groups = groups
        # Spelling -> group; matching reads it directly (`ranks.get`) in its tightest loops.
        self.ranks = (
            ranks
            if ranks is not None
            else {text: rank for rank, group in enumerate(groups) for text in group}
        )
        self._keys: list[VersionKey | None] = [None] * len(self.groups)  # parsed on demand

    @classmethod
    def of(cls, scheme: Scheme, texts: Iterable[str]) -> VersionOrder:
        """The texts `scheme` reads, sorted by it; texts it refuses are left out. Spellings of one
        version keep the order they came in, so a group's first spelling is the first one seen."""
        parsed: list[tuple[VersionKey, str]] = []
        seen: set[str] = set()
        for text in texts:
            if text in seen:
                continue
            seen.add(text)
            key = scheme.parse(text)
            if key is not None:
                parsed.append((key, text))
        parsed.sort(key=_first)  # stable
        groups: list[list[str]] = []
        keys: list[VersionKey] = []
        for key, text in parsed:
            if keys and not keys[-1] < key:
                groups[-1].append(text)
            else:
                groups.append([text])
                keys.append(key)
        order = cls(scheme, groups)
        order._keys = list(keys)
        return order

    def __len__(self) -> int:
        return len(self.groups)

    def rank(self, text: str) -> int | None:
        """The group `text` is spelled in, when the order names it."""
        return self.ranks.get(text)

    def position(self, text: str) -> int | None:
        """Where `text` falls (see the module's docstring); None when the scheme refuses it."""
        rank = self.ranks.get(text)
        if rank is not None:
            return 2 * rank + 1
        key = self.scheme.parse(text)
        return None if key is None else self.locate(key)

    def locate(self, key: VersionKey) -> int:
        low, high = 0, len(self.groups)
        while low < high:
            middle = (low + high) // 2
            here = self.key(middle)
            if here < key:
                low = middle + 1
            elif key < here:
                high = middle
            else:
                return 2 * middle + 1
        return 2 * low

    def key(self, rank: int) -> VersionKey:
        """The parsed version of group `rank`."""
        key = self._keys[rank]
        if key is None:
            key = self.scheme.parse(self.groups[rank][0])
            if key is None:  # a stored order written by a library that read this text
                raise AdvisoryError(
                    f"stored version {self.groups[rank][0]!r} is no longer a {self.scheme.name} version; "
                    "import the advisories again"
                )
            self._keys[rank] = key
        return key

    def text(self, rank: int) -> str:
        return self.groups[rank][0]

    def encode(self) -> str:
        return _GROUPS.join(_SPELLINGS.join(group) for group in self.groups)

    @classmethod
    def decode(cls, scheme: Scheme, text: str) -> VersionOrder:
        if not text:
            return cls(scheme, ())
        groups = text.split(_GROUPS)
        if _SPELLINGS not in text:  # the usual case: one spelling per version
            return cls(
                scheme, [(group,) for group in groups], dict(zip(groups, range(len(groups)), strict=True))
            )
        return cls(scheme, [group.split(_SPELLINGS) for group in groups])


def check_text(text: str, what: str) -> str:
    """`text` when it can be stored in the compact forms (no control characters); else ValueError."""
    if any(ord(character) < 0x20 or character == "\x7f" for character in text):
        raise ValueError(f"{what} {text!r} contains a control character")
    return text


def _first(item: tuple[VersionKey, str]) -> Any:
    return item[0]
