"""CWE-614 and CWE-1004: a cookie set without the Secure (or HttpOnly) attribute.

Set-Cookie headers are read as RFC 6265 section 5.2 reads them: the name and value before the
first `;`, then attribute names. A cookie counts when its value carries the canary (the input
became the cookie), when its name is the constant the flagged call names, or when the sandbox saw
the flagged code set a cookie of that name (`cookie.set`, recorded by the framework's `set_cookie`
with its caller's line: a name held in a variable); it is confirmed when the attribute is missing
from the header the application actually sent.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import at


@dataclass(frozen=True, slots=True)
class SetCookie:
    name: str
    value: str
    attributes: frozenset[str]  # lower-cased attribute names


def parse_set_cookie(header: str) -> SetCookie:
    pair, *attributes = header.split(";")
    name, _, value = pair.partition("=")
    names = frozenset(part.split("=", 1)[0].strip().lower() for part in attributes if part.strip())
    return SetCookie(name.strip(), value.strip(), names)


def cookie_name(snippet: str) -> str | None:
    """The constant name a `set_cookie("name", ...)`-style call sets, read from the finding's code."""
    try:
        tree = ast.parse(snippet.strip(), mode="eval")
    except SyntaxError:
        return None
    call = tree.body
    if isinstance(call, ast.Call):
        first = (
            call.args[0]
            if call.args
            else next((k.value for k in call.keywords if k.arg in ("key", "name")), None)
        )
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def cookies_set(observation: Observation) -> set[str]:
    """The names of the cookies the flagged code set: its constant argument, and what the
    sandbox recorded that code setting."""
    constant = cookie_name(observation.sink.snippet) if observation.sink else None
    named = {constant} if constant else set()
    for record in observation.records:
        if record.event == "cookie.set" and len(record.args) >= 3:
            name, path, line = record.args[0], record.args[-2], record.args[-1]
            if isinstance(name, str) and any(
                at(place, path, line) for place in (observation.sink, *observation.steps)
            ):
                named.add(name)
    return named


class MissingCookieFlagOracle(Oracle):
    watched = frozenset({"response"})

    def __init__(self, cwe: int, flag: str) -> None:
        self.cwe = cwe
        self.flag = flag
        self.name = f"cookie-without-{flag}"

    def judge(self, observation: Observation) -> OracleEvent | None:
        response = observation.response
        if response is None:
            return None
        canary = observation.payload.canary
        named = cookies_set(observation)
        for header in response.header("Set-Cookie"):
            cookie = parse_set_cookie(header)
            if canary not in cookie.value and cookie.name not in named:
                continue
            if self.flag not in cookie.attributes:
                return OracleEvent(
                    self.name,
                    f"the response set the cookie {cookie.name!r} without {self.flag.capitalize()}:"
                    f" {header[:200]!r}",
                )
        return None
