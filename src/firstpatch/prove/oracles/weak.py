"""CWE-328 and CWE-330: a weak digest or the non-cryptographic generator used at the flagged line.

These findings are about which algorithm runs, not about where the input goes. The sandbox wraps
hashlib's MD5/SHA-1 constructors (not when `usedforsecurity=False`) and every method of
`random.Random` except on `SystemRandom`, and records the target line that called them. The
finding is confirmed when the flagged code (its sink, or a step of its trace: the generator call
whose value became a secret) made such a call while the entry point handled the request: the code
is reachable and the weak primitive really runs there.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import at


class WeakPrimitiveOracle(Oracle):
    def __init__(self, cwe: int, event: str, what: str) -> None:
        self.cwe = cwe
        self.event = event
        self.what = what
        self.name = f"{event}-called"
        self.watched = frozenset({event})

    def judge(self, observation: Observation) -> OracleEvent | None:
        for record in observation.records:
            if record.event != self.event or len(record.args) < 3:
                continue
            name, path, line = record.args[0], record.args[-2], record.args[-1]
            if any(at(place, path, line) for place in (observation.sink, *observation.steps)):
                return OracleEvent(
                    f"call:{self.event}",
                    f"{path}:{line} called {self.what} {name!r} while handling the request",
                )
        return None
