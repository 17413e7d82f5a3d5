"""CWE-501: input stored in the server-side session, where later code trusts it.

The runner reads the session the framework saved at the end of the request and records entries
whose key or value carries the canary; the payload is the canary alone, so any encoding that
keeps letters and digits (HTML escaping, URL quoting) still shows it.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records, shorten


class TrustBoundaryOracle(Oracle):
    cwe = 501
    name = "session-carries-input"
    watched = frozenset({"session"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        for record in records(observation, "session"):
            key = record.args[0] if record.args else None
            value = record.args[1] if len(record.args) > 1 else None
            return OracleEvent(
                self.name,
                f"the session saved {shorten(repr(key), 80)} = {shorten(repr(value), 120)} from the input",
            )
        return None
