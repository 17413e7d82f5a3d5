"""Child side of the command-line driver: run the program in process once per input, the way its
entry point runs it (`python -m module` / the script as `__main__`, or the console-script
function called), with argv, environment and stdin built from the payload."""

from __future__ import annotations

import base64
import contextlib
import importlib
import io
import os
import runpy
import sys
from pathlib import Path
from typing import Any

from . import _runner
from ._guard import Guard
from ._protocol import Json

MAX_OUTPUT = 64 * 1024


def run(job: dict[str, Any], guard: Guard, channel: _runner.Channel) -> None:
    program = job["app"]
    _runner.on_path(job["root"], program.get("path_entry", ""))
    _runner.ready(guard, channel, None)
    _runner.serve(job, guard, channel, lambda request: _invoke(job["root"], program, request))


def _invoke(root: str, program: dict[str, Any], request: dict[str, Any]) -> dict[str, Json]:
    saved_argv, saved_env, saved_stdin = sys.argv, dict(os.environ), sys.stdin
    output = io.StringIO()
    stdin = base64.b64decode(request["stdin"]) if request.get("stdin") else b""
    sys.argv = [program.get("name") or program["module"], *request["argv"]]
    os.environ.update({str(k): str(v) for k, v in request["env"].items()})
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    status = 0
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            if program["mode"] == "call":
                module = importlib.import_module(program["module"])
                result = getattr(module, program["function"])()
                status = result if isinstance(result, int) else 0
            elif program["mode"] == "script":
                runpy.run_path(str(Path(root, program["file"])), run_name="__main__")
            else:
                runpy.run_module(program["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.stdin = saved_argv, saved_stdin
        os.environ.clear()
        os.environ.update(saved_env)
    text = output.getvalue()[:MAX_OUTPUT]
    return {"status": status, "content_type": "text/plain", "headers": [], "body": text}
