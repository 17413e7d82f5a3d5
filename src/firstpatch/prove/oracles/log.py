"""CWE-117: input that starts a log line of its own.

Log calls are recorded when their formatted message carries the canary. The payload puts a line
break between two canaries; the record confirms only when the break survived, so a second,
forged entry would appear in a line-oriented log. Escaped or stripped breaks do not confirm.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records, shorten, text


class LogInjectionOracle(Oracle):
    cwe = 117
    name = "log-line-forged"
    watched = frozenset({"logging"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        canary = observation.payload.canary
        for record in records(observation, "logging"):
            message = text(record.args[1]) if len(record.args) > 1 else None
            if message is None:
                continue
            for newline in ("\n", "\r\n", "\r"):
                if f"{canary}{newline}{canary}" in message:
                    return OracleEvent(
                        self.name,
                        f"a {record.args[0]} log record starts a new line with the input:"
                        f" {shorten(message)!r}",
                    )
        return None
