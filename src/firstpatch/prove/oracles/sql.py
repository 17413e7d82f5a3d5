"""CWE-89: the payload must become part of an executed statement's structure.

Each statement SQLite executed (its trace callback; Python 3.11 passes the statement with bound
parameters expanded into properly escaped literals) is tokenised with sqlglot, and the payload's
canaries are located in its tokens (see `_structure`): a bound or escaped value keeps them all in
one string literal, an injected one leaves it or turns them into syntax.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import canaries_in, records, shorten, text
from firstpatch.prove.oracles._structure import Span, breakout

# Token types that hold data: a string literal, or a quoted identifier ("..." in SQLite).
_LITERALS = frozenset({"STRING", "IDENTIFIER", "NATIONAL_STRING", "BIT_STRING", "HEX_STRING", "BYTE_STRING"})


def spans(statement: str) -> list[Span] | None:
    # Imported here: `python -m firstpatch.prove._child` loads this package, and the sandbox
    # child never judges, so it should not pay for sqlglot on every start.
    from sqlglot import tokenize
    from sqlglot.errors import TokenError

    try:
        tokens = tokenize(statement, read="sqlite")
    except TokenError:
        return None  # SQLite ran it, so this is a tokenizer gap, not evidence
    return [
        Span(
            token.start, token.end, token.token_type.name in _LITERALS, statement[token.start : token.end + 1]
        )
        for token in tokens
    ]


class SqlInjectionOracle(Oracle):
    cwe = 89
    name = "sql-structure"
    watched = frozenset({"sqlite3.trace"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        canary = observation.payload.canary
        for record in records(observation, "sqlite3.trace"):
            statement = text(record.args[0]) if record.args else None
            found = spans(statement) if statement is not None else None
            if statement is None or found is None:
                continue
            how = breakout(statement, found, canary, canaries_in(observation.payload))
            if how:
                return OracleEvent(self.name, f"SQLite executed {shorten(statement)!r}: {how}")
        return None
