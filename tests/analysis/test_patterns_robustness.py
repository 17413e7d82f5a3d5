"""The pattern rules never crash, whatever parses: mutated fixtures and pathological shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstpatch.analysis.parsing import ParsedModule, parse_module
from firstpatch.analysis.patterns import check_module
from firstpatch.analysis.program import Module

FIXTURES = Path(__file__).parent.parent / "fixtures" / "analysis"
SOURCES = sorted(
    path.read_text("utf-8") for path in FIXTURES.glob("patterns_*/**/*.py") if path.stat().st_size > 200
)


def run(source: str) -> list[str]:
    """Rule ids reported for a source that parses; [] for one that does not."""
    parsed = parse_module(source, "target.py")
    if not isinstance(parsed, ParsedModule):
        return []
    hits = list(check_module(Module("target", "target.py", parsed.tree, parsed.lines)))
    assert all(hit.location.path == "target.py" and hit.location.line >= 1 for hit in hits)
    return [hit.rule.id for hit in hits]


@st.composite
def mutated_fixture(draw: st.DrawFn) -> str:
    """A fixture with whole lines dropped, repeated, swapped or re-indented: edits that mostly
    keep it parseable, so that the rules themselves (not the parser) meet the odd shapes."""
    lines = draw(st.sampled_from(SOURCES)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(lines) - 1))
        match draw(st.sampled_from(["drop", "repeat", "swap", "indent", "dedent"])):
            case "drop":
                del lines[at]
            case "repeat":
                lines.insert(at, lines[at])
            case "swap":
                other = draw(st.integers(0, len(lines) - 1))
                lines[at], lines[other] = lines[other], lines[at]
            case "indent":
                lines[at] = "    " + lines[at]
            case _:
                lines[at] = lines[at].removeprefix("    ")
    return "\n".join(lines) + "\n"


@settings(max_examples=80, deadline=None)
@given(source=mutated_fixture())
def test_mutated_fixtures_never_crash_the_rules(source: str) -> None:
    run(source)


NESTED_LOOPS = "import random\ndef f(x):\n" + "".join(
    "    " * (i + 1) + f"for v{i} in x:\n" for i in range(30)
)
DEEP_IFS = "import random\ndef make_token():\n" + "".join("    " * (i + 1) + "if x:\n" for i in range(80))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import random\ntoken = " + " + ".join(["random.random()"] * 1500) + "\n", ["py/weak-random"]),
        (
            "import hashlib\npassword = 1\nx = hashlib.md5(" + "(" * 150 + "password" + ")" * 150 + ")\n",
            ["py/weak-hash"],
        ),
        (DEEP_IFS + "    " * 81 + "return random.random()\n", ["py/weak-random"]),
        (NESTED_LOOPS + "    " * 31 + "token = random.random()\n", ["py/weak-random"]),
        ("SECRET = f" + "()" * 1500 + '\nSECRET_KEY = "s3cr3t-Value"\n', ["py/hardcoded-credentials"]),
        ("x = a" + ".b" * 1500 + "\nx.verify = False\n", ["py/tls-verification-disabled"]),
        ("import ssl\n" + "ctx.check_hostname = False\n" * 2000, ["py/tls-verification-disabled"] * 2000),
    ],
    ids=["long-sum", "deep-parens", "deep-ifs", "nested-loops", "call-chain", "attribute-chain", "many-hits"],
)
def test_pathological_shapes_finish_and_find(source: str, expected: list[str]) -> None:
    assert run(source) == expected


def test_a_nested_loop_secret_is_still_found() -> None:
    source = "import random\ndef f(rows):\n    for row in rows:\n        for cell in row:\n"
    source += "            token = random.random()\n"
    assert run(source) == ["py/weak-random"]
