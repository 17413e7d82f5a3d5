"""Did a payload stay one piece of data in a query language, or become part of its structure?

Payloads for query languages (SQL, XPath, LDAP filters) carry the canary at their start and at
their end. A language-specific tokenizer splits the executed query into spans that hold data
(string literals, filter values) and spans that are syntax. The payload stayed data when, for
each time it appears, all its canaries lie in one data span - whatever the application did to the
characters in between (escaping, doubling or stripping quotes). It became structure when one of
its canaries is syntax, or when its last canary lies outside the data span its first one opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # first character
    end: int  # last character (inclusive)
    data: bool  # a literal or value; False for syntax
    text: str

    def holds(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


def breakout(query: str, spans: Sequence[Span], canary: str, per_payload: int) -> str | None:
    """How the payload (with `per_payload` canaries) changed the query's structure, or None."""
    positions = []
    index = query.find(canary)
    while index >= 0:
        positions.append(index)
        index = query.find(canary, index + len(canary))
    if not positions:
        return None
    size = max(1, per_payload)
    for first in range(0, len(positions), size):
        group = positions[first : first + size]
        for position in group:
            span = _span_at(spans, position, position + len(canary) - 1)
            if span is not None and not span.data:
                return f"the canary is syntax: {span.text!r}"
        opened = _span_at(spans, group[0], group[0] + len(canary) - 1)
        last = group[-1]
        if (
            opened is not None
            and opened.data
            and len(group) > 1
            and not opened.holds(last, last + len(canary) - 1)
        ):
            return f"the payload left the literal {opened.text!r} it started in"
    return None


def _span_at(spans: Sequence[Span], start: int, end: int) -> Span | None:
    for span in spans:
        if span.start <= start <= span.end:
            return span if end <= span.end or not span.data else Span(span.start, span.end, False, span.text)
    return None
