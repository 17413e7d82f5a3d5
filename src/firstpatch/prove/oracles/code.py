"""CWE-94: the payload's `__import__` must run, seen as an import of the canary module.

A `compile` event is deliberately not enough: `ast.literal_eval` compiles its input too and is
safe. Only code that was executed imports the canary.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records, text


def imported(observation: Observation) -> str | None:
    """The canary module name when the target tried to import it."""
    canary = observation.payload.canary
    for record in records(observation, "import"):
        module = text(record.args[0]) if record.args else None
        if module is not None and (module == canary or module.startswith(canary + ".")):
            return module
    return None


class CodeInjectionOracle(Oracle):
    cwe = 94
    name = "code-execution"
    watched = frozenset({"import"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        module = imported(observation)
        if module is None:
            return None
        return OracleEvent("audit:import", f"the target executed the payload: it imported {module!r}")
