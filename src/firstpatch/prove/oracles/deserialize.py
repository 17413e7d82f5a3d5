"""CWE-502: deserialising the payload must resolve a global the payload names.

Pickle: `pickle.find_class` with the canary module (the unpickler looks the global up before it
builds anything). YAML: an import of the canary module, which PyYAML's unsafe loaders perform for
`!!python/name:` and `!!python/object/apply:`. `json.loads` and `yaml.safe_load` do neither.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records, text
from firstpatch.prove.oracles.code import imported


class DeserializationOracle(Oracle):
    cwe = 502
    name = "deserialization"
    watched = frozenset({"pickle.find_class", "import"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        canary = observation.payload.canary
        for record in records(observation, "pickle.find_class"):
            module = text(record.args[0]) if record.args else None
            if module == canary:
                name = record.args[1] if len(record.args) > 1 else "?"
                return OracleEvent(
                    "audit:pickle.find_class", f"the unpickler resolved the global {module}.{name}"
                )
        module = imported(observation)
        if module is not None:
            return OracleEvent(
                "audit:import", f"the deserialiser imported {module!r}, the module the payload named"
            )
        return None
