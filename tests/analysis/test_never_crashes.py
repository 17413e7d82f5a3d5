"""The analyser never crashes, whatever Python (or not-Python) it is given."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.target import Target

FIXTURE = (Path(__file__).parent.parent / "fixtures/analysis/flask_basic/app.py").read_text("utf-8")
ANALYZER = TaintAnalyzer()


def analyse(tmp_path: Path, source: str) -> None:
    (tmp_path / "target.py").write_text(source, encoding="utf-8", errors="surrogatepass")
    result = ANALYZER.analyze(Target.open(tmp_path))
    paths = {f.location.path for f in result.findings} | {s.path for s in result.skipped}
    assert paths <= {"target.py"}


@st.composite
def mutated_source(draw: st.DrawFn) -> str:
    """A real module with a few characters deleted, duplicated or inserted."""
    text = FIXTURE
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        match draw(st.sampled_from(["delete", "duplicate", "insert"])):
            case "delete":
                text = text[:at] + text[at + draw(st.integers(1, 40)) :]
            case "duplicate":
                text = text[:at] + text[at : at + 60] + text[at:]
            case _:
                fragment = draw(st.sampled_from(["(", ")", ":", "\n    ", "if x", "'", "lambda:"]))
                text = text[:at] + fragment + text[at:]
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=mutated_source())
def test_mutated_modules_never_crash_the_analyser(tmp_path: Path, source: str) -> None:
    analyse(tmp_path, source)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.text(max_size=400))
def test_arbitrary_text_never_crashes_the_analyser(tmp_path: Path, source: str) -> None:
    analyse(tmp_path, source)


def test_very_long_expression_is_skipped_not_fatal(tmp_path: Path) -> None:
    chain = " + ".join(["x"] * 5000)
    analyse(tmp_path, f"def f(x):\n    return {chain}\n")
