"""CWE-643: the payload must become part of an evaluated XPath expression's structure.

Two kinds of evidence. Expressions compiled through `lxml.etree.XPath` or parsed by elementpath
are recorded and split into string literals and syntax (XPath has no escapes: a quote inside a
literal is doubled in XPath 2, impossible in XPath 1), then judged as SQL statements are. For
`.xpath()` on lxml elements, which cannot be wrapped, the sandbox registers an XPath function named
after the canary: the `xpath.call` record means the engine evaluated the payload as a call.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import canaries_in, records, shorten, text
from firstpatch.prove.oracles._structure import Span, breakout


def spans(expression: str) -> list[Span]:
    found: list[Span] = []
    index = 0
    while index < len(expression):
        char = expression[index]
        if char in "'\"":
            end = index + 1
            while end < len(expression):
                if expression[end] == char:
                    if expression[end + 1 : end + 2] == char:  # XPath 2: a doubled quote
                        end += 2
                        continue
                    break
                end += 1
            found.append(Span(index, end, True, expression[index : end + 1]))
            index = end + 1
        elif char.isspace():
            index += 1
        else:
            end = index
            while (
                end + 1 < len(expression)
                and not expression[end + 1].isspace()
                and expression[end + 1] not in "'\""
            ):
                end += 1
            found.append(Span(index, end, False, expression[index : end + 1]))
            index = end + 1
    return found


class XPathInjectionOracle(Oracle):
    cwe = 643
    name = "xpath-structure"
    watched = frozenset({"xpath", "xpath.call"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        canary = observation.payload.canary
        for _ in records(observation, "xpath.call"):
            return OracleEvent(
                self.name, f"the XPath engine called the function {canary}() the payload named"
            )
        for record in records(observation, "xpath"):
            expression = text(record.args[0]) if record.args else None
            if expression is None:
                continue
            how = breakout(expression, spans(expression), canary, canaries_in(observation.payload))
            if how:
                return OracleEvent(
                    self.name, f"the XPath expression {shorten(expression)!r} was evaluated: {how}"
                )
        return None
