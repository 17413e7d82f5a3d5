"""CWE-89: the payload's quote must break out of the string literal it was pasted into.

Each statement SQLite executed (its trace callback; Python 3.11 passes the statement with bound
parameters expanded into properly escaped literals, older versions pass the `?` form - both are
handled because a bound value either sits whole inside one literal or is absent) is tokenised
with sqlglot. The payload is neutralised only if one string-literal or quoted-identifier token
holds all of it; if the canary sits in a token that does not hold the whole payload, the payload
introduced tokens of its own.
"""

from __future__ import annotations

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records, shorten, text

# Token types that hold data: a string literal, or a quoted identifier ("..." in SQLite).
_LITERALS = frozenset({"STRING", "IDENTIFIER", "NATIONAL_STRING"})


def breakout(statement: str, payload: str, canary: str) -> str | None:
    """How the payload changed the statement's structure, or None when it stayed data."""
    # Imported here: `python -m firstpatch.prove._child` loads this package, and the sandbox
    # child never judges, so it should not pay for sqlglot on every start.
    from sqlglot import tokenize
    from sqlglot.errors import TokenError

    try:
        tokens = tokenize(statement, read="sqlite")
    except TokenError:
        return None  # SQLite ran it, so this is a tokenizer gap, not evidence
    holders = [token for token in tokens if canary in token.text]
    if not holders:
        return None  # only in a comment, or not in this statement at all
    for token in holders:
        if token.token_type.name in _LITERALS and payload in token.text:
            return None
    token = holders[0]
    kind = token.token_type.name
    return f"the canary is in the {kind} token {token.text!r}, which does not hold the payload"


class SqlInjectionOracle(Oracle):
    cwe = 89
    name = "sql-structure"
    watched = frozenset({"sqlite3.trace"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        payload = observation.payload
        value = payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")
        for record in records(observation, "sqlite3.trace"):
            statement = text(record.args[0]) if record.args else None
            if statement is None:
                continue
            how = breakout(statement, value, payload.canary)
            if how:
                return OracleEvent(self.name, f"SQLite executed {shorten(statement)!r}: {how}")
        return None
