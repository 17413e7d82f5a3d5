"""CWE-918: the target must try to reach the host the payload names.

The sandbox refuses every connection that is not loopback and records the attempt: a name lookup
or connection for the canary's host, or a `urllib.Request`/`http.client.connect` to it, shows the
input chose where the server sends its request. The canary in a URL's path or query does not count.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from firstpatch.model import OracleEvent
from firstpatch.prove._protocol import Json
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records

LOOKUPS = frozenset({"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"})
CONNECTS = frozenset({"socket.connect", "http.client.connect"})


def _host(event: str, args: tuple[Json, ...]) -> str | None:
    if event == "urllib.Request" and args and isinstance(args[0], str):
        try:
            return urlsplit(args[0]).hostname
        except ValueError:
            return None
    if event == "http.client.connect" and len(args) > 1:
        value: Json = args[1]
    elif event in LOOKUPS and args:
        value = args[0]
    elif event == "socket.connect" and args:
        value = args[0]
        if isinstance(value, list) and value:
            value = value[0]
    else:
        return None
    return value if isinstance(value, str) else None


class SsrfOracle(Oracle):
    cwe = 918
    name = "outbound-host"
    watched = frozenset({*LOOKUPS, *CONNECTS, "urllib.Request"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        canary = observation.payload.canary
        for record in records(observation, *self.watched):
            host = _host(record.event, record.args)
            if host is not None and host.lower().startswith(canary):
                refused = " (refused by the sandbox)" if record.refused else ""
                return OracleEvent(
                    f"audit:{record.event}",
                    f"the target tried to reach {host!r}, the host the input named{refused}",
                )
        return None
