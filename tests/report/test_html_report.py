"""The HTML report: one offline file, charts as SVG, and target text that renders inert."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from datetime import UTC, date, datetime
from html.parser import HTMLParser

from firstpatch.model import Evidence, Location, Patch, PatchStatus, ProofStatus, Run, Step, StepKind
from firstpatch.report import Deadline, HtmlReporter

SCRIPT = "<script>alert(document.cookie)</script>"
FINISHED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class _Page(HTMLParser):
    """Elements with their attributes, the text of script and style elements, and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self.text: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in self.raw:
            self._open = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.raw[self._open][-1] += data
        else:
            self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


def _page(run: Run, reporter: HtmlReporter | None = None) -> tuple[str, _Page]:
    html = (reporter or HtmlReporter()).render(run)
    page = _Page()
    page.feed(html)
    page.close()
    return html, page


def _fixed(run: Run) -> Run:
    return dataclasses.replace(run, started=FINISHED.replace(minute=0), finished=FINISHED)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def test_one_script_and_one_style_both_allowed_by_hash_and_nothing_else(sample_run: Run) -> None:
    _, page = _page(sample_run)
    (script,) = page.raw["script"]
    (style,) = page.raw["style"]
    (policy,) = [m["content"] for m in page.tags("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert policy == f"default-src 'none'; style-src {_sha256(style)}; script-src {_sha256(script)}"


def test_the_file_loads_nothing(sample_run: Run) -> None:
    _, page = _page(sample_run)
    for tag in ("link", "img", "iframe", "object", "embed", "video", "audio", "source"):
        assert page.tags(tag) == [], tag
    assert all("src" not in attrs for _, attrs in page.elements)
    assert "url(" not in page.raw["style"][0]
    assert "@import" not in page.raw["style"][0]
    assert "fetch(" not in page.raw["script"][0]
    # The only links lead to the advisories' pages or to places in the file itself.
    hrefs = [a["href"] or "" for a in page.tags("a")]
    assert hrefs
    assert all(h.startswith(("#finding-", "https://osv.dev/vulnerability/")) for h in hrefs), hrefs


def test_summary_cards(sample_run: Run) -> None:
    _, page = _page(sample_run)
    text = " ".join(" ".join(page.text).split())
    for card in (
        "2 open critical",
        "3 open high",
        "1 open medium",
        "0 open low",
        "1 confirmed by proof",
        "1 verified patches",
        "1 in CISA KEV",
    ):
        assert card in text, card


def test_charts_are_inline_svg_by_risk_cwe_and_deadline(sample_run: Run) -> None:
    _, page = _page(_fixed(sample_run))
    assert len(page.tags("svg")) == 3
    text = " ".join(page.text)
    assert "critical (9-10): 1" in text  # the risk chart's tooltip
    assert "CWE-78: 1" in text
    assert "critical · PYSEC-2021-142: 7 d left; due 2026-12-08 (CISA KEV due date)" in text
    rects = page.tags("rect")
    assert {r["class"] for r in rects} >= {
        "band-critical",
        "band-high",
        "band-medium",
        "band-low",
        "band-cwe",
        "due-soon",  # 7 days left: within a week
    }


def test_without_deadline_data_the_window_chart_says_so(sample_run: Run) -> None:
    findings = tuple(dataclasses.replace(f, exploitation=None) for f in sample_run.findings)
    _, page = _page(dataclasses.replace(sample_run, findings=findings))
    assert len(page.tags("svg")) == 2
    assert "This run carries no deadline data" in " ".join(page.text)


def test_deadlines_from_the_store_show_overdue_windows_with_their_age(sample_run: Run) -> None:
    run = _fixed(sample_run)
    command = run.findings[3]
    deadlines = {
        command.fingerprint: Deadline(
            date(2026, 11, 16), "policy: critical, 15 days", opened=date(2026, 11, 1)
        ),
    }
    _, page = _page(run, HtmlReporter(deadlines))
    text = " ".join(page.text)
    assert (
        "15 d overdue, open 30 of 15 d; due 2026-11-16 (policy: critical, 15 days); open since 2026-11-01"
        in text
    )
    assert "overdue" in {r["class"] for r in page.tags("rect")}
    # Deadlines given by the caller replace the run's own: the KEV due date is not charted.
    assert "PYSEC-2021-142: " not in text.split("Patch windows")[1].split("Findings")[0]


def test_table_has_a_row_per_finding_with_filter_data(sample_run: Run) -> None:
    _, page = _page(sample_run)
    rows = [attrs for attrs in page.tags("tr") if "data-severity" in attrs]
    assert [(r["data-severity"], r["data-proof"], r["data-kev"]) for r in rows] == [
        ("critical", "confirmed", "no"),
        ("critical", "not proved", "yes"),
        ("high", "untestable", "no"),
        ("high", "not proved", "no"),
        ("medium", "not proved", "no"),
        ("high", "not proved", "no"),
    ]
    buttons = page.tags("button")
    assert [b["data-column"] for b in buttons] == [str(i) for i in range(9)]


def test_each_finding_shows_trace_proof_and_patch(sample_run: Run) -> None:
    html, page = _page(sample_run)
    articles = page.tags("article")
    assert [a["id"] for a in articles] == [f"finding-{n}" for n in range(1, 7)]
    first = html.split('id="finding-1"')[1].split("</article>")[0]
    assert '<span class="step">source</span> <code>app.py:14</code> query parameter &#39;host&#39;' in first
    assert "import requests" in first
    assert "curl &#39;http://127.0.0.1:5000/v/ping?host=x%3B%20id&#39;" in first
    assert '<span class="del">-    return os.system(command)</span>' in first
    assert '<span class="add">+    return subprocess.run(command, check=False).returncode</span>' in first
    assert "passed: reproducer (the marker command no longer runs)" in first


def test_target_text_renders_inert(sample_run: Run) -> None:
    base = sample_run.findings[3]
    hostile_location = Location(f"views/{SCRIPT}.py", 9, 1, 9, 5, f"render('{SCRIPT}')")
    finding = dataclasses.replace(
        base,
        title=f"XSS {SCRIPT}",
        message=f'" onmouseover="alert(1)" {SCRIPT}',
        location=hostile_location,
        trace=(Step(StepKind.SINK, hostile_location, f"<img src=x onerror=alert(2)> {SCRIPT}"),),
        evidence=Evidence(ProofStatus.CONFIRMED, SCRIPT, reproducer=f"print('{SCRIPT}')", request=SCRIPT),
        patch=Patch(
            f"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-{SCRIPT}\n+safe\n", ("x",), PatchStatus.VERIFIED, SCRIPT
        ),
    )
    run = dataclasses.replace(sample_run, findings=(finding,), skipped=(), target=f"/tmp/{SCRIPT}")
    html, page = _page(run)
    assert len(page.raw["script"]) == 1  # ours, and only ours
    assert page.tags("img") == []
    assert all(not name.startswith("on") for _, attrs in page.elements for name in attrs)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in html
    # Shown to the reader as the text it is.
    assert " ".join(page.text).count(SCRIPT) >= 8


def test_an_empty_run(sample_run: Run) -> None:
    _, page = _page(dataclasses.replace(sample_run, findings=(), skipped=()))
    assert page.tags("table") == []
    assert "No findings." in " ".join(page.text)
