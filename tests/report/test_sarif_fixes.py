"""Unified diffs read back as SARIF replacements: applying them must rebuild the patched file."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_sample import apply_replacements

from firstpatch.report.sarif_fixes import DiffError, FileChange, Replacement, parse_unified_diff


def _as_sarif(change: FileChange) -> list[dict[str, Any]]:
    return [
        {
            "deletedRegion": {
                "startLine": r.start_line,
                "startColumn": 1,
                "endLine": r.end_line,
                "endColumn": r.end_column,
            },
            "insertedContent": {"text": r.inserted},
        }
        for r in change.replacements
    ]


def _lines_of(text: str) -> list[str]:
    # Lines end at "\n" only, as in a diff; str.splitlines would also break at a form feed.
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _diff(before: str, after: str, context: int = 3) -> str:
    lines = difflib.unified_diff(_lines_of(before), _lines_of(after), "a/f.py", "b/f.py", n=context)
    return "".join(lines)


def test_replacement_in_the_middle() -> None:
    before = "a\nb\nc\nd\n"
    (change,) = parse_unified_diff(_diff(before, "a\nB\nc\nd\n"))
    assert change == FileChange("f.py", (Replacement(2, 3, 1, "B\n"),))


def test_pure_insertion_is_an_empty_region_before_the_next_line() -> None:
    (change,) = parse_unified_diff(_diff("a\nb\n", "a\nnew\nb\n"))
    assert change.replacements == (Replacement(2, 2, 1, "new\n"),)


def test_insertion_at_the_top_of_the_file() -> None:
    diff = "--- a/f.py\n+++ b/f.py\n@@ -0,0 +1 @@\n+first\n"
    (change,) = parse_unified_diff(diff)
    assert apply_replacements("", _as_sarif(change)) == "first\n"


def test_pure_deletion_has_no_inserted_text() -> None:
    (change,) = parse_unified_diff(_diff("a\nb\nc\n", "a\nc\n"))
    assert change.replacements == (Replacement(2, 3, 1, ""),)


def test_missing_newline_at_end_of_file_on_both_sides() -> None:
    before, after = "a\nb", "a\nc"
    no_newline = "\\ No newline at end of file\n"
    diff = f"--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n a\n-b\n{no_newline}+c\n{no_newline}"
    (change,) = parse_unified_diff(diff)
    assert change.replacements == (Replacement(2, 2, 2, "c"),)
    assert apply_replacements(before, _as_sarif(change)) == after


def test_adding_the_final_newline() -> None:
    diff = "--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
    (change,) = parse_unified_diff(diff)
    assert apply_replacements("a\nb", _as_sarif(change)) == "a\nb\n"


def test_removed_line_that_looks_like_a_file_header_stays_in_its_hunk() -> None:
    before = "x\n-- comment\ny\n"
    after = "x\ny\n"
    diff = _diff(before, after)
    assert "\n--- comment\n" in diff
    (change,) = parse_unified_diff(diff)
    assert apply_replacements(before, _as_sarif(change)) == after


def test_several_files_and_git_headers() -> None:
    diff = (
        "diff --git a/one.py b/one.py\nindex 1..2 100644\n--- a/one.py\n+++ b/one.py\n"
        "@@ -1 +1 @@\n-a\n+b\n"
        "diff --git a/two.py b/two.py\nnew file mode 100644\n--- /dev/null\n+++ b/two.py\n"
        "@@ -0,0 +1,2 @@\n+x\n+y\n"
    )
    one, two = parse_unified_diff(diff, files=("one.py", "two.py"))
    assert one == FileChange("one.py", (Replacement(1, 2, 1, "b\n"),))
    assert two.path == "two.py"
    assert apply_replacements("", _as_sarif(two)) == "x\ny\n"


def test_paths_without_prefixes_are_kept_when_they_name_patched_files() -> None:
    diff = "--- a/b.py\n+++ a/b.py\n@@ -1 +1 @@\n-x\n+y\n"
    (change,) = parse_unified_diff(diff, files=("a/b.py",))
    assert change.path == "a/b.py"


def test_timestamps_after_the_path_are_ignored() -> None:
    diff = "--- f.py\t2026-11-29 08:00:00\n+++ f.py\t2026-11-29 09:00:00\n@@ -1 +1 @@\n-x\n+y\n"
    (change,) = parse_unified_diff(diff)
    assert change.path == "f.py"


def test_form_feed_inside_a_line_is_not_a_line_break() -> None:
    before, after = "a\n\x0c\nb\n", "a\n\x0c\nc\n"
    (change,) = parse_unified_diff(_diff(before, after))
    assert apply_replacements(before, _as_sarif(change)) == after


@pytest.mark.parametrize(
    "diff",
    [
        "--- a/f.py\n+++ b/f.py\n@@ -1,3 +1,3 @@\n a\n-b\n",  # ends before its counts
        "--- a/f.py\n+++ b/f.py\n@@ garbage @@\n",
        "--- /dev/null\n+++ /dev/null\n",
    ],
)
def test_malformed_diffs_raise(diff: str) -> None:
    with pytest.raises(DiffError):
        parse_unified_diff(diff)


_lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "-- x\n", "\n", "  indented\n"]), max_size=25)


@given(before=_lines, after=_lines, context=st.integers(0, 3))
def test_applying_the_replacements_rebuilds_the_new_file(
    before: list[str], after: list[str], context: int
) -> None:
    old, new = "".join(before), "".join(after)
    changes = parse_unified_diff(_diff(old, new, context))
    if old == new:
        assert changes == ()
        return
    (change,) = changes
    assert apply_replacements(old, _as_sarif(change)) == new
