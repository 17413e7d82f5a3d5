"""Trace-guided inputs: what the handler's own conditions ask for ends up in the request."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import make_finding
from firstpatch.model import InputKind
from firstpatch.prove import Payload
from firstpatch.prove._hints import Field, read_hints
from firstpatch.prove._http import build_request

HANDLERS = """
from flask import request

@app.route("/keys", methods=["POST"])
def keys():
    param = ""
    for name in request.form.keys():
        if "Marker01" in request.form.getlist(name):
            param = name
            break
    return param

@app.route("/guarded", methods=["POST"])
async def guarded():
    data = await request.post()
    if request.args.get("mode") != "expert":
        return ""
    if "X-Team" not in request.headers:
        return ""
    url = data["url"]
    if not url.startswith("https://"):
        return ""
    return url
"""


def _write(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(textwrap.dedent(HANDLERS))
    return tmp_path


def _line(root: Path, text: str) -> int:
    return next(n for n, line in enumerate((root / "app.py").read_text().splitlines(), 1) if text in line)


def test_a_form_field_name_is_the_input(tmp_path: Path) -> None:
    root = _write(tmp_path)
    finding = make_finding("/keys", 79, None, InputKind.FORM, ("POST",), entry_line=_line(root, '"/keys"'))
    hints = read_hints(root, finding)
    assert hints.name_marker == "Marker01"
    request = build_request(finding.entry_point, Payload("fp1", "<fp1>", "t"), hints)  # type: ignore[arg-type]
    assert request.body == b"%3Cfp1%3E=Marker01"


def test_conditions_on_other_inputs_and_a_prefix(tmp_path: Path) -> None:
    root = _write(tmp_path)
    entry_line = _line(root, '"/guarded"')
    finding = make_finding("/guarded", 918, None, InputKind.FORM, ("POST",), entry_line=entry_line)
    hints = read_hints(root, finding)
    assert hints.names_for(InputKind.FORM) == ("url",)
    assert hints.prefix == "https://"
    assert set(hints.fields) == {
        Field(InputKind.QUERY, "mode", "expert"),
        Field(InputKind.HEADER, "X-Team", "1"),
    }
    request = build_request(finding.entry_point, Payload("fp2", "fp2.example", "t"), hints)  # type: ignore[arg-type]
    assert request.path == "/guarded?mode=expert"
    assert ("X-Team", "1") in request.headers
    assert request.body == b"url=https%3A%2F%2Ffp2.example"
