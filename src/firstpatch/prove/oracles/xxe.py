"""CWE-611: the parser must resolve the external entity the payload declares.

The payload's entity names a file named after the canary. Resolving it shows up as an open of
that file (expat through `urllib`, and any Python-level resolver), a `urllib.Request` for its URL,
or an `xml.entity` record from the resolver the sandbox adds to every lxml parser. A parser that
refuses DTDs or leaves external entities alone (defusedxml, lxml's defaults) never asks for it.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records, text


class XxeOracle(Oracle):
    cwe = 611
    name = "xml-entity"
    watched = frozenset({"open", "urllib.Request", "xml.entity"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        canary = observation.payload.canary
        for record in records(observation, "xml.entity", "urllib.Request"):
            url = text(record.args[0]) if record.args else None
            if url is not None and canary in url:
                return OracleEvent(
                    f"audit:{record.event}", f"the XML parser resolved the external entity {url!r}"
                )
        for record in records(observation, "open"):
            path = text(record.args[0]) if record.args else None
            if path is not None and PurePosixPath(path).name.startswith(canary):
                return OracleEvent(
                    "audit:open", f"the XML parser opened {path!r} to resolve an external entity"
                )
        return None
