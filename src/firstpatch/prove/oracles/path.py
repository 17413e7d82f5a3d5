"""CWE-22: a file operation must reach the canary file outside the application's folder.

The sandbox records the real path of every open, os file function and status check (which tells an
attacker whether a file exists) whose arguments mention the canary; a traversal is confirmed when
that path names the canary file and lies outside the sandbox copy of the target. A containment check
or `send_from_directory` either refuses before opening or opens inside the folder, so neither
confirms.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from firstpatch.model import OracleEvent
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records, text

FILE_EVENTS = frozenset(
    {"open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.truncate", "os.chmod", "os.utime"}
)
STATUS_EVENTS = frozenset({"os.stat", "os.lstat", "os.access"})  # recorded by the sandbox's wrappers


class PathTraversalOracle(Oracle):
    cwe = 22
    name = "path-escape"
    watched = FILE_EVENTS | STATUS_EVENTS

    def judge(self, observation: Observation) -> OracleEvent | None:
        # Reading or changing the file is the stronger evidence; a status check comes second.
        return self._reached(observation, FILE_EVENTS) or self._reached(observation, STATUS_EVENTS)

    @staticmethod
    def _reached(observation: Observation, events: frozenset[str]) -> OracleEvent | None:
        canary = observation.payload.canary
        root = observation.root.rstrip("/") + "/"
        for record in records(observation, *events):
            path = text(record.args[0]) if record.args else None
            if path is None or not PurePosixPath(path).is_absolute():
                continue
            if PurePosixPath(path).name.startswith(canary) and not (path + "/").startswith(root):
                return OracleEvent(
                    f"audit:{record.event}",
                    f"{record.event} reached {path!r}, outside the application's folder",
                )
        return None
