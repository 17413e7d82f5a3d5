"""parse_module never raises: every input is a ParsedModule or a ParseFailure."""

from __future__ import annotations

import ast
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firstpatch.analysis.parsing import ParsedModule, ParseFailure, _parse_with_tree_sitter, parse_module

SEED_MODULES = [
    'import os\n\ndef handler(request):\n    name = request.args["n"]\n'
    '    return os.system(f"echo {name}")\n',
    "class C[T](Base, metaclass=M):\n    def m(self, /, a: int = 1, *b, c, **d) -> T:\n"
    "        match a:\n            case [x, *rest] | {'k': x}:\n                return x\n"
    "        return [y async for y in b if (z := y)]\n",
    'x = f"{d["k"]!r:>{w}} {a = }" b"bytes" if 0x_ff else t"{y}"\n'
    "try:\n    pass\nexcept* (A, B) as e:\n    raise\n",
    "with (open(a) as f, b):\n    del x[1:2, ::3], y.z\n    lambda q=1, *r: q ** -r ^ 3 & 4\n",
]


@st.composite
def mutated_modules(draw: st.DrawFn) -> str:
    """A valid module with random characters deleted, inserted or duplicated."""
    text = draw(st.sampled_from(SEED_MODULES))
    alphabet = st.sampled_from([*"()[]{}:;,.'\"\\#=*@ \n\tfrbtx0123456789_", "\0", "\ud800", "é", "\r"])
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=len(text)))
        operation = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if operation == "delete":
            text = text[:position] + text[position + 1 :]
        elif operation == "insert":
            text = text[:position] + draw(alphabet) + text[position:]
        else:
            end = draw(st.integers(min_value=position, max_value=min(len(text), position + 20)))
            text = text[:end] + text[position:end] + text[end:]
    return text


def check_result(result: ParsedModule | ParseFailure) -> None:
    if isinstance(result, ParseFailure):
        assert result.reason
        assert result.line >= 0
        return
    # The tree must be well formed: the compiler validates node types, fields and contexts, and
    # may only object to what the parser leaves to it (e.g. `return` outside a function).
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(result.tree, result.path, "exec", dont_inherit=True)
    except SyntaxError:
        pass
    for node in ast.walk(result.tree):
        if "lineno" in node._attributes:
            assert isinstance(getattr(node, "lineno", None), int)
            assert isinstance(getattr(node, "end_col_offset", None), int)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    check_result(parse_module(text, "fuzz.py"))
    check_result(_parse_with_tree_sitter(text, "fuzz.py"))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_modules())
def test_mutated_source_never_raises(text: str) -> None:
    check_result(parse_module(text, "fuzz.py"))
    check_result(_parse_with_tree_sitter(text, "fuzz.py"))
