"""CWE-79: the canary must come back as markup - an element or attribute an HTML parser sees.

Only HTML responses count (Flask's default for a returned str is text/html); escaping turns the
payload into text, which the parser reports as data, not as a tag.
"""

from __future__ import annotations

from html.parser import HTMLParser

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle

_HTML_TYPES = ("text/html", "application/xhtml+xml")


class _Markup(HTMLParser):
    def __init__(self, canary: str) -> None:
        super().__init__(convert_charrefs=True)
        self.canary = canary
        self.found: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.found:
            return
        if tag == self.canary:
            self.found = f"an element <{tag}>"
        elif any(name == self.canary for name, _ in attrs):
            self.found = f"an attribute {self.canary!r} on <{tag}>"

    handle_startendtag = handle_starttag


def markup(body: str, canary: str) -> str | None:
    parser = _Markup(canary)
    parser.feed(body)
    parser.close()
    return parser.found


class HtmlInjectionOracle(Oracle):
    cwe = 79
    name = "html-unescaped"
    watched = frozenset({"response"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        response = observation.response
        if response is None:
            return None
        content_type = response.content_type.split(";")[0].strip().lower()
        if content_type not in _HTML_TYPES:
            return None
        found = markup(response.body, observation.payload.canary)
        if found is None:
            return None
        return OracleEvent(
            self.name, f"the {content_type} response (status {response.status}) contains {found}"
        )
