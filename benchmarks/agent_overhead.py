"""What the agent costs besides the model: secret scan, a conversation turn, a sandbox trial.

    .venv/bin/python benchmarks/agent_overhead.py

The model is an httpx MockTransport that answers at once in the Messages API's shape, so the
figures are firstpatch's own overhead per step; a real model adds its latency on top. Median of
three runs each.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from firstpatch.agent import AgentConfig, augment_run
from firstpatch.agent.hypothesis import AccessTest, Principal
from firstpatch.agent.inputs import parse_request
from firstpatch.agent.proof import evaluate
from firstpatch.agent.redact import Redactor
from firstpatch.agent.workspace import Workspace
from firstpatch.scan import ScanOptions, scan

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "vulnerable-flask"
NOTES = REPO / "tests" / "agent" / "fixtures" / "notes-service"


def median(action: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def instant_model(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    reply = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": [{"type": "text", "text": "Nothing worth testing."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 2000, "output_tokens": 10},
    }
    return httpx.Response(200, json=reply)


def main() -> None:
    print(f"secret scan, demo ({sum(1 for _ in DEMO.rglob('*.py'))} .py files): "
          f"{median(lambda: Redactor.for_target(DEMO)):.3f} s")  # fmt: skip
    src = REPO / "src" / "firstpatch"
    print(f"secret scan, firstpatch's own src ({sum(1 for _ in src.rglob('*.py'))} .py files): "
          f"{median(lambda: Redactor.for_target(src)):.3f} s")  # fmt: skip

    run = scan(DEMO, ScanOptions(prove=False, patch=False)).run
    tasks = len(Workspace(DEMO).routes)
    config = AgentConfig("anthropic", "bench", base_url="http://model.invalid")
    with tempfile.TemporaryDirectory() as scratch:

        def hunt() -> None:
            folder = Path(tempfile.mkdtemp(dir=scratch))
            augment_run(
                run, config=config, run_dir=folder, phases=("hunt",), env={"ANTHROPIC_API_KEY": "bench"},
                transport=httpx.MockTransport(instant_model),
            )  # fmt: skip

        seconds = median(hunt)
    print(
        f"hunt phase on the demo, {tasks} tasks, instant model: {seconds:.3f} s "
        f"({seconds / tasks * 1000:.1f} ms a task)"
    )

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(shutil.copytree(NOTES, Path(scratch) / "notes"))
        entry = Workspace(root).route_of("app.get_note")
        if entry is None:
            raise SystemExit("the notes fixture has no app.get_note route")
        test = AccessTest(
            Principal("alice", (("Authorization", "Bearer alice-token-8c1f"),)),
            Principal("bob", (("Authorization", "Bearer bob-token-27d4"),)),
            (parse_request({"method": "POST", "path": "/notes", "json": {"text": "{canary}"}}, "setup"),),
            parse_request({"path": "/notes"}, "control"),
            parse_request({"path": "/notes/1"}, "probe"),
        )
        redactor = Redactor()
        seconds = median(lambda: evaluate(test, entry.entry_point(), root, redactor))
    print(f"one access test in the sandbox (4 requests, app started once): {seconds:.3f} s")
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
