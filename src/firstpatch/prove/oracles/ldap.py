"""CWE-90: the payload must become part of an LDAP search filter's structure.

The filter of each search (ldap3's `Connection.search`, python-ldap's `search_ext`) is split
into assertion values - data, where RFC 4515 escapes such as `\\29` keep parentheses inert - and
syntax (parentheses, operators, attribute names), then judged as SQL statements are: an escaped
payload stays within one value, an injected one closes it and names an attribute of its own.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import canaries_in, records, shorten, text
from firstpatch.prove.oracles._structure import Span, breakout

_OPERATOR_CHARS = "=~<>:"


def spans(search_filter: str) -> list[Span]:
    found: list[Span] = []
    index, length = 0, len(search_filter)
    expect_value = False
    while index < length:
        char = search_filter[index]
        if expect_value:
            end = index
            while end < length and search_filter[end] != ")":
                end += 2 if search_filter[end] == "\\" else 1
            end = min(end, length)
            if end > index:
                found.append(Span(index, end - 1, True, search_filter[index:end]))
            index, expect_value = end, False
        elif char in "()&|!":
            found.append(Span(index, index, False, char))
            index += 1
        elif char.isspace():
            index += 1
        else:
            end = index
            while end < length and search_filter[end] not in _OPERATOR_CHARS + "()":
                end += 1
            while end < length and search_filter[end] in _OPERATOR_CHARS:
                end += 1
            found.append(Span(index, end - 1, False, search_filter[index:end]))
            expect_value = search_filter[end - 1 : end] == "="
            index = end
    return found


class LdapInjectionOracle(Oracle):
    cwe = 90
    name = "ldap-structure"
    watched = frozenset({"ldap.search"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        canary = observation.payload.canary
        for record in records(observation, "ldap.search"):
            search_filter = text(record.args[1]) if len(record.args) > 1 else None
            if search_filter is None:
                continue
            how = breakout(search_filter, spans(search_filter), canary, canaries_in(observation.payload))
            if how:
                return OracleEvent(
                    self.name, f"the LDAP search used the filter {shorten(search_filter)!r}: {how}"
                )
        return None
