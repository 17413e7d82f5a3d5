"""Trace-guided inputs: what the handler's own conditions ask for ends up in the request."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import make_finding
from firstpatch.model import InputKind
from firstpatch.prove import Payload
from firstpatch.prove._hints import Field, read_hints
from firstpatch.prove._http import build_request, deliverable

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

@app.route("/wrapped", methods=["POST"])
def wrapped():
    form = Wrapper(request)
    return form.get_form_value("Field01") + form.get_query_value("Field02")

@app.route("/raw", methods=["GET"])
def raw():
    query = request.query_string.decode("utf-8")
    start = query.find("Field03" + "=")
    value = query[start + 8:]
    end = value.find("&")
    return value[:end]

@app.route("/digest", methods=["POST"])
def digest():
    seen = request.cookies.get("Field04", "")
    for name in request.headers.keys():
        if name.lower() not in ("host", "accept"):
            seen = name
    return hashlib.md5(seen.encode()).hexdigest()
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


def test_wrapper_getters_and_a_raw_query_string_name_their_inputs(tmp_path: Path) -> None:
    root = _write(tmp_path)
    wrapped = make_finding(
        "/wrapped", 79, None, InputKind.FORM, ("POST",), entry_line=_line(root, '"/wrapped"')
    )
    hints = read_hints(root, wrapped)
    assert hints.names_for(InputKind.FORM) == ("Field01",)
    assert hints.names_for(InputKind.QUERY) == ("Field02",)
    raw = make_finding("/raw", 79, None, InputKind.QUERY, entry_line=_line(root, '"/raw"'))
    hints = read_hints(root, raw)
    assert hints.names_for(InputKind.QUERY) == ("Field03",)
    request = build_request(raw.entry_point, Payload("fp3", "<fp3>", "t"), hints)  # type: ignore[arg-type]
    assert request.path == "/raw?Field03=%3Cfp3%3E"


def test_a_finding_without_an_input_fills_every_input_the_handler_reads(tmp_path: Path) -> None:
    root = _write(tmp_path)
    # A pattern finding (weak hash) names no input; the handler reads a cookie and a header's name.
    finding = make_finding("/digest", 328, None, None, ("POST",), entry_line=_line(root, '"/digest"'))
    hints = read_hints(root, finding)
    assert hints.name_kind is InputKind.HEADER
    assert finding.entry_point is not None
    plain = build_request(finding.entry_point, Payload("fp4", "fp4", "t"), hints)
    assert ("fp4", "1") in plain.headers
    assert ("Cookie", 'Field04="fp4"') in plain.headers
    assert deliverable(finding.entry_point, hints, Payload("fp4", "fp4", "t"))
    assert not deliverable(finding.entry_point, hints, Payload("fp5", "../fp5", "t"))
