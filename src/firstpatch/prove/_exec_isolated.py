"""Bootstrap of `isolated.run_isolated`: isolate this process, then become the command.

Run as `python -I -B _exec_isolated.py FD LIMITS_JSON COMMAND...` (by path, stdlib only, so
that nothing of firstpatch or the target is imported first). Waits for the parent's go-ahead
on stdin (sent once the process is in its pids cgroup), moves into an empty network namespace,
sets rlimits, reports what it achieved on FD as one JSON line, and execs COMMAND.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path


def main() -> None:
    report_fd, limits = int(sys.argv[1]), json.loads(sys.argv[2])
    command = sys.argv[3:]
    sys.stdin.buffer.read(1)  # the parent has put us in the cgroup
    spec = importlib.util.spec_from_file_location("_isolate", Path(__file__).with_name("_isolate.py"))
    if spec is None or spec.loader is None:
        raise SystemExit("cannot load the isolation module")
    isolate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(isolate)
    network = isolate.leave_network()
    refused = isolate.limit(**limits)
    with os.fdopen(report_fd, "w") as report:
        report.write(json.dumps({"network": network, "limits_refused": refused}) + "\n")
    os.execvp(command[0], command)  # noqa: S606 -- an argument list the trusted parent built, no shell


if __name__ == "__main__":
    main()
