"""What the analysis knows at one point of a function: taint by access path, constants,
container shapes and object flags. Branches copy it; joins merge it."""

from __future__ import annotations

from dataclasses import dataclass, field

from firstpatch.analysis.taint import CLEAN, Taint, join

KNOWN_KEYS = -1  # shape of a mapping whose every key is known: an absent key holds nothing


def below(path: str) -> tuple[str, str]:
    """The prefixes of the paths under `path` (its attributes and its items), for `startswith`."""
    return f"{path}.", f"{path}["


@dataclass
class State:
    taint: dict[str, Taint] = field(default_factory=dict)
    consts: dict[str, object] = field(default_factory=dict)  # variable → constant value
    shapes: dict[str, int] = field(default_factory=dict)  # list path → length, or KNOWN_KEYS
    flags: dict[str, frozenset[str]] = field(default_factory=dict)  # object path → flags ("xxe")
    parsed_from: dict[str, str] = field(default_factory=dict)  # url = urlparse(x): url → x

    def copy(self) -> State:
        return State(
            dict(self.taint), dict(self.consts), dict(self.shapes), dict(self.flags), dict(self.parsed_from)
        )

    def merge(self, other: State) -> None:
        """Join with another branch: taint and flags may come from either; facts only if both agree."""
        for key, taint in other.taint.items():
            self.taint[key] = join(self.taint.get(key, CLEAN), taint)
        for key, flags in other.flags.items():
            self.flags[key] = self.flags.get(key, frozenset()) | flags
        for facts, theirs in ((self.consts, other.consts), (self.shapes, other.shapes)):
            for key in [k for k in facts if k not in theirs or theirs[k] != facts[k]]:
                del facts[key]
        for key in [k for k in self.parsed_from if other.parsed_from.get(k) != self.parsed_from[k]]:
            del self.parsed_from[key]

    def replace_with(self, other: State) -> None:
        self.taint, self.consts, self.shapes = other.taint, other.consts, other.shapes
        self.flags, self.parsed_from = other.flags, other.parsed_from

    def forget(self, path: str) -> None:
        """Everything known about `path` and what hangs below it."""
        prefixes = below(path)
        for facts in (self.taint, self.shapes, self.flags, self.parsed_from):
            facts.pop(path, None)
            for key in [k for k in facts if k.startswith(prefixes)]:
                del facts[key]
        self.consts.pop(path, None)

    def read(self, path: str) -> Taint:
        """The whole value at `path`: its own taint and everything stored below it."""
        prefixes = below(path)
        under = [taint for key, taint in self.taint.items() if key.startswith(prefixes)]
        own = self.taint.get(path, CLEAN)
        return join(own, *under) if under else own

    def shape(self, path: str) -> int | None:
        return self.shapes.get(path)
