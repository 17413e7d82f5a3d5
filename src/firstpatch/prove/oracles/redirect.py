"""CWE-601: the response must redirect to the host the payload names.

The Location header is resolved against the request's URL as a browser would (a backslash counts
as a slash) and confirmed when its host is the canary's. A redirect that keeps the input in the
path or query of a local URL, or that refuses foreign hosts, does not confirm.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle

BASE = "http://127.0.0.1:5000/"


def redirect_host(location: str) -> str | None:
    target = urljoin(BASE, location.strip().replace("\\", "/"))
    try:
        return urlsplit(target).hostname
    except ValueError:
        return None


class OpenRedirectOracle(Oracle):
    cwe = 601
    name = "redirect-host"
    watched = frozenset({"response"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        response = observation.response
        if response is None:
            return None
        canary = observation.payload.canary
        for location in response.header("Location"):
            host = redirect_host(location)
            if host is not None and host.startswith(canary):
                return OracleEvent(
                    self.name, f"HTTP {response.status} redirects to {location!r}, a host the input chose"
                )
        return None
