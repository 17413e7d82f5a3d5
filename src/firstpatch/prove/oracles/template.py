"""CWE-1336: template syntax in the input must be evaluated.

The payload is the canary followed by a multiplication in template syntax (`{{a*b}}`, `${a*b}`,
...). Only an engine that evaluated it can produce the canary followed by the product, which
appears nowhere in the payload; escaping or treating the input as data leaves the expression as
text.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle


class TemplateInjectionOracle(Oracle):
    cwe = 1336
    name = "template-evaluated"
    watched = frozenset({"response"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        expected = observation.payload.expect
        response = observation.response
        if not expected or response is None:
            return None
        if expected in response.body:
            return OracleEvent(
                self.name,
                f"the response (status {response.status}) contains {expected!r}: the template engine"
                " evaluated the payload's arithmetic",
            )
        for record in observation.records:
            if any(isinstance(arg, str) and expected in arg for arg in record.args):
                return OracleEvent(
                    self.name, f"{record.event} received {expected!r}, the evaluated arithmetic"
                )
        return None
