"""The pull-request comment: rendered by a real CommonMark parser, hostile text stays text."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from firstpatch.model import Evidence, Location, Patch, PatchStatus, ProofStatus, Run, Step, StepKind
from firstpatch.report import MarkdownReporter
from firstpatch.report.markdown_text import WORD_JOINER, code, fenced, prose

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](https://evil.example) "
    "![pixel](https://evil.example/p.png) @octocat @org/team #12 GH-7 **bold** | pipe "
    "https://evil.example www.evil.example &amp; \\ `tick`"
)


class _Elements(HTMLParser):
    """Every start tag with its attributes, the text, and the text outside code (where GitHub
    looks for mentions and references)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.prose: list[str] = []
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_code += tag == "code"

    def handle_endtag(self, tag: str) -> None:
        self._in_code -= tag == "code"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not self._in_code:
            self.prose.append(data)


def _render(markdown: str) -> _Elements:
    # CommonMark with raw HTML passed through, as GitHub does before its sanitiser, plus GFM tables.
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    elements = _Elements()
    elements.feed(html)
    return elements


def _hostile_run(run: Run) -> Run:
    base = run.findings[3]  # the command injection, with trace, proof and patch
    assert base.rule_id == "py/command-injection"
    snippet = "x = '```\n</details>\n<script>alert(3)</script>'"
    finding = dataclasses.replace(
        base,
        title=HOSTILE,
        message=HOSTILE + "\n\n    indented line that must not become code",
        location=Location("evil|`name`</summary>.py", 9, 1, 9, 5, snippet),
        trace=(Step(StepKind.SOURCE, Location("a.py", 1, 1, 1, 2, HOSTILE), HOSTILE),),
        evidence=dataclasses.replace(
            base.evidence or Evidence(ProofStatus.CONFIRMED, "x"), reason=HOSTILE, reproducer=snippet
        ),
        patch=Patch(
            "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-```\n+</details><script>x</script>\n",
            ("x",),
            PatchStatus.VERIFIED,
            HOSTILE,
        ),
    )
    return dataclasses.replace(run, findings=(finding,))


def test_comment_structure_summary_table_and_details(sample_run: Run) -> None:
    text = MarkdownReporter().render(sample_run)
    first, *_ = text.splitlines()
    assert first == "### firstpatch: 6 findings (2 critical, 3 high, 1 medium)"
    assert "**1** confirmed by proof · **1 verified patch** · **1** in CISA KEV · 2 inputs skipped" in text
    elements = _render(text)
    assert [tag for tag, _ in elements.tags].count("details") == len(sample_run.findings)
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    # Highest risk first, and the KEV entry marked.
    assert [row.split(" | ")[1] for row in rows] == ["9.6", "8.7", "7.1", "6.5", "4.0", "3.2"]
    assert "critical · **KEV**" in rows[1]
    assert "**confirmed**" in rows[0]
    assert "verified patch" in rows[0]
    assert "upgrade to `5.4`" in rows[1]


def test_details_carry_trace_reproducer_and_diff(sample_run: Run) -> None:
    text = MarkdownReporter().render(sample_run)
    command = text.split("<details>")[1]
    assert "1. source at `app.py:14`" in command
    assert "```python\nimport requests\n" in command
    assert "```sh\ncurl 'http://127.0.0.1:5000/v/ping?host=x%3B%20id'\n```" in command
    assert "```diff\n--- a/app.py\n+++ b/app.py\n" in command
    assert (
        "-    return os.system(command)\n+    return subprocess.run(command, check=False).returncode"
        in command
    )
    unreachable = text.split("<details>")[6]
    assert "PYSEC-2018-32" in unreachable
    assert "- **Reachable** no" in unreachable


def test_target_text_cannot_inject_html_links_images_or_mentions(sample_run: Run) -> None:
    text = MarkdownReporter().render(_hostile_run(sample_run))
    elements = _render(text)
    tags = [tag for tag, _ in elements.tags]
    assert "script" not in tags
    assert "img" not in tags
    links = [attrs.get("href") or "" for tag, attrs in elements.tags if tag == "a"]
    assert all(href.startswith("https://osv.dev/") for href in links), links
    assert tags.count("details") == 1  # the snippet's "</details>" did not close the section early
    rendered = "".join(elements.text)
    # The text survives, readable, with mentions, references and bare links broken invisibly.
    assert "<script>alert(1)</script>" in rendered
    assert "**bold**" in rendered  # literal, not emphasis
    prose_text = "".join(elements.prose)
    assert "@octocat" not in prose_text
    assert f"@{WORD_JOINER}octocat" in prose_text
    assert f"#{WORD_JOINER}12" in prose_text
    assert "https://evil" not in prose_text
    assert rendered.replace(WORD_JOINER, "").count(HOSTILE) >= 2  # in the message and the reason


def test_a_hostile_table_cell_keeps_the_table_shape(sample_run: Run) -> None:
    text = MarkdownReporter().render(_hostile_run(sample_run))
    html = MarkdownIt("commonmark").enable("table").render(text)
    row = html.split("<tbody>")[1].split("</tr>")[0]
    assert row.count("<td") == 7


def test_indented_prose_does_not_become_a_code_block(sample_run: Run) -> None:
    html = (
        MarkdownIt("commonmark").enable("table").render(MarkdownReporter().render(_hostile_run(sample_run)))
    )
    assert "<pre><code>indented line" not in html
    assert "indented line that must not become code" in html


def test_the_comment_fits_githubs_limit_by_leaving_out_the_least_risky_details(sample_run: Run) -> None:
    full = MarkdownReporter().render(sample_run)
    limit = len(full) - 200
    cut = MarkdownReporter(max_length=limit).render(sample_run)
    assert len(cut) <= limit
    assert "are left out to stay within GitHub's comment limit" in cut
    assert cut.count("<details>") < full.count("<details>")
    assert "PYSEC-2018-32" in cut  # still in the table
    tiny = MarkdownReporter(max_length=1200).render(sample_run)
    assert len(tiny) <= 1200
    assert "left out of the table" in tiny


def test_an_empty_run(sample_run: Run) -> None:
    text = MarkdownReporter().render(dataclasses.replace(sample_run, findings=(), skipped=()))
    assert text.startswith("### firstpatch: no findings\n")
    assert "| # |" not in text
    assert "<details>" not in text


@pytest.mark.parametrize("value", ["a`b", "``x``", "`", " lead", "a|b", "line\nbreak"])
def test_inline_code_round_trips_through_commonmark(value: str) -> None:
    html = MarkdownIt("commonmark").render(code(value))
    parser = _Elements()
    parser.feed(html)
    assert "".join(parser.text).strip() == " ".join(value.splitlines()).strip()


def test_a_fence_cannot_be_closed_by_its_content() -> None:
    body = "```\n````\nafter"
    html = MarkdownIt("commonmark").render(fenced(body) + "\n\ntail")
    assert html.count("<pre>") == 1
    assert "after" in html.split("</pre>")[0]


def test_prose_escapes_every_markdown_character() -> None:
    html = MarkdownIt("commonmark").render(prose("*a* _b_ [c](d) <e> `f` # g"))
    assert html == "<p>*a* _b_ [c](d) &lt;e&gt; `f` # g</p>\n"
