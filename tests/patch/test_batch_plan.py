"""How `batch.plan` groups patches: only patches that cannot run during each other's findings'
replays share a batch (different files, neither file imported on the way to the other finding,
no code run around every request)."""

from __future__ import annotations

from pathlib import Path

from patch_markers import finding_from_markers

from firstpatch.patch import FileChange, ProposedPatch, unified_diff
from firstpatch.patch.batch import plan
from firstpatch.patch.graph import ModuleGraph
from firstpatch.patch.trial import Candidate

FILES = {
    "app.py": "from flask import Flask\n\nfrom views import a, b, hooks\n\napp = Flask(__name__)\n",
    "views/__init__.py": "",
    "views/a.py": (
        "import os\n\nfrom helpers.text import shout\n\n\n"
        "def first(x):\n    return os.system(shout(x))  # sink: 78 os.system(\n\n\n"
        "def second(x):\n    return eval(x)  # sink: 94 eval(\n"
    ),
    "views/b.py": "def run(x):\n    return eval(x)  # sink: 94 eval(\n",
    "helpers/__init__.py": "",
    "helpers/text.py": "def shout(x):\n    return eval(x)  # sink: 94 eval(\n",
    "views/hooks.py": (
        "from flask import Blueprint, request\n\nbp = Blueprint('hooks', __name__)\n\n\n"
        "@bp.before_app_request\ndef audit():\n    eval(request.args['x'])  # sink: 94 eval(\n"
    ),
}


def candidate(path: str, source: str, sink: int = 0) -> Candidate:
    """The finding at the `sink`-th marker of `source`, with a patch that edits its file."""
    lines = source.splitlines(keepends=True)
    marked = [i for i, line in enumerate(lines) if "# sink:" in line]
    for index in marked:
        if index != marked[sink]:
            lines[index] = lines[index].split("  # sink:")[0] + "\n"
    finding = finding_from_markers(path, "".join(lines))
    changes = (FileChange(path, source, source + "# patched\n"),)
    return Candidate(finding, ProposedPatch(changes, unified_diff(changes), "test patch"))


def test_patches_that_cannot_reach_each_others_findings_share_a_batch(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = ModuleGraph.read(tmp_path)
    assert graph.imports["views/a.py"] == {"helpers/__init__.py", "helpers/text.py"}
    candidates = [
        candidate("views/a.py", FILES["views/a.py"]),  # imports helpers/text.py
        candidate("views/b.py", FILES["views/b.py"]),  # nothing in common with a: same batch
        candidate("helpers/text.py", FILES["helpers/text.py"]),  # a's finding runs this file
        candidate("views/hooks.py", FILES["views/hooks.py"]),  # runs around every request
        candidate("views/a.py", FILES["views/a.py"], sink=1),  # the same file as the first
    ]
    assert plan(graph, candidates) == [[0, 1], [2], [3], [4]]
