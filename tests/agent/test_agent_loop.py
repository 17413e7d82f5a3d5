"""The whole agent loop, through each real provider client, against a local stand-in model.

One run per provider on the notes-service fixture: the scripted model confirms an IDOR, has a
wrong guess refused, crafts the input that confirms a SQL injection the standard payloads missed,
obeys the prompt injection planted in the code (and is refused every step), and writes one bad
and one good patch. The sandbox and the patch verification decide each outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_scripts import API_KEY, IDOR_FINGERPRINT, copy_fixture, full_script
from llm_stand_in import StandIn

from firstpatch.agent import AgentConfig, AgentOutcome, augment_run
from firstpatch.model import PatchStatus, ProofStatus, Run
from firstpatch.scan import ScanOptions, scan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """The fixture copied and scanned once (static findings proved, not patched)."""
    root = copy_fixture(tmp_path_factory.mktemp("target") / "notes-service")
    (root / "escape").symlink_to("/etc")
    return root, scan(root, ScanOptions(prove=True, patch=False)).run


def _sql(run: Run) -> str:
    return next(f.fingerprint for f in run.findings if f.rule_id == "py/sql-injection")


@pytest.fixture(scope="module", params=["anthropic", "openai"])
def outcome(
    request: pytest.FixtureRequest, scanned: tuple[Path, Run], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AgentOutcome, StandIn, Path]]:
    root, run = scanned
    stand_in = StandIn(full_script(_sql(run)), API_KEY)
    base = stand_in.base + ("/v1" if request.param == "openai" else "")
    config = AgentConfig(request.param, "scripted-model", base_url=base, api_key_env="TEST_LLM_KEY")
    run_dir = tmp_path_factory.mktemp(f"run-{request.param}")
    result = augment_run(run, config=config, run_dir=run_dir, env={"TEST_LLM_KEY": API_KEY})
    assert result is not None
    yield result, stand_in, root
    stand_in.close()


def test_the_stand_in_saw_only_well_formed_requests(outcome: tuple[AgentOutcome, StandIn, Path]) -> None:
    _, stand_in, _ = outcome
    assert stand_in.violations == []
    assert len(stand_in.requests) > 10


def test_a_confirmed_access_hypothesis_becomes_a_finding(outcome: tuple[AgentOutcome, StandIn, Path]) -> None:
    result, _, _ = outcome
    idor = next(f for f in result.run.findings if f.fingerprint == IDOR_FINGERPRINT)
    assert (idor.rule_id, idor.cwe, idor.location.path, idor.location.line) == (
        "agent/idor",
        639,
        "app.py",
        45,
    )
    assert idor.evidence is not None
    assert idor.evidence.status is ProofStatus.CONFIRMED
    assert "withheld from bob by GET /notes" in idor.evidence.reason
    assert "returned by GET /notes/1" in idor.evidence.reason
    assert idor.evidence.request is not None
    assert "Authorization: Bearer bob-token-27d4" in idor.evidence.request
    assert "agent" in result.run.stages


def test_a_refused_hypothesis_stays_a_hypothesis(outcome: tuple[AgentOutcome, StandIn, Path]) -> None:
    result, _, _ = outcome
    wrong = next(h for h in result.report.hypotheses if h.entry_point.function == "app.list_notes")
    assert wrong.status is ProofStatus.NOT_CONFIRMED
    assert wrong.finding is None
    assert "did not return the owner's data" in wrong.verdict.reason
    assert all(
        f.entry_point is None or f.entry_point.function != "app.list_notes" for f in result.run.findings
    )
    assert wrong in result.report.unproven


def test_triage_confirms_the_static_finding_with_a_crafted_input(
    outcome: tuple[AgentOutcome, StandIn, Path], scanned: tuple[Path, Run]
) -> None:
    result, _, _ = outcome
    fingerprint = _sql(scanned[1])
    before = next(f for f in scanned[1].findings if f.fingerprint == fingerprint)
    after = next(f for f in result.run.findings if f.fingerprint == fingerprint)
    assert before.evidence is not None
    assert before.evidence.status is ProofStatus.NOT_CONFIRMED
    assert after.evidence is not None
    assert after.evidence.status is ProofStatus.CONFIRMED
    assert "crafted by the language model" in after.evidence.reason
    assert after.evidence.event is not None
    assert after.evidence.event.oracle == "sql-structure"
    # Once proved, the SQL codemod applies, verified against the model's input.
    assert after.patch is not None
    assert after.patch.status is PatchStatus.VERIFIED
    assert not after.patch.description.startswith("Model-written")


def test_a_model_patch_is_verified_or_rejected_on_its_merits(
    outcome: tuple[AgentOutcome, StandIn, Path],
) -> None:
    result, _, _ = outcome
    events = [
        json.loads(line) for line in (result.report.run_dir / "transcript.jsonl").read_text().splitlines()
    ]
    patches = [e for e in events if e["event"] == "patch"]
    assert [p["status"] for p in patches] == ["unverified", "verified"]
    assert any("still confirmed after the patch" in check for check in patches[0]["checks"])
    idor = next(f for f in result.run.findings if f.fingerprint == IDOR_FINGERPRINT)
    assert idor.patch is not None
    assert idor.patch.status is PatchStatus.VERIFIED
    assert idor.patch.description == "Model-written patch: Only the owner may read a note"
    assert '+    if note is None or note["owner"] != user:' in idor.patch.diff
    assert {check.name for check in idor.patch.checks} == {"reproducer", "rescan"}


def test_the_planted_prompt_injection_changes_nothing(outcome: tuple[AgentOutcome, StandIn, Path]) -> None:
    result, stand_in, root = outcome
    passwd = Path("/etc/passwd").read_text()
    first_line = passwd.splitlines()[0]
    assert first_line not in stand_in.texts()
    transcript = (result.report.run_dir / "transcript.jsonl").read_text()
    assert first_line not in transcript
    events = [json.loads(line) for line in transcript.splitlines()]
    task = "hunt:app.export_note"
    results = [e for e in events if e["event"] == "tool_result" and e.get("task") == task]
    assert len(results) == 7
    assert all(e["error"] for e in results)
    contents = [e["content"] for e in results]
    assert "outside the target" in contents[0]
    assert "there is no tool 'run_shell'" in contents[1]
    assert "outside the target" in contents[2]
    assert "outside the target (a symlink leads out)" in contents[3]
    assert "path must start with one '/'" in contents[4]
    assert "there is no tool 'propose_patch'" in contents[5]
    assert "invalid arguments" in contents[6]
    assert not any(e["event"] == "verdict" and e.get("task") == task for e in events)
    from_agent = [f for f in result.run.findings if f.rule_id.startswith("agent/")]
    assert all(f.entry_point is None or f.entry_point.function != "app.export_note" for f in from_agent)
    # The target itself is untouched, and the run wrote only into its own folder.
    assert (root / "app.py").read_text() == (
        Path(__file__).parent / "fixtures/notes-service/app.py"
    ).read_text()
    assert sorted(p.name for p in result.report.run_dir.iterdir()) == ["hypotheses.json", "transcript.jsonl"]


def test_the_code_is_presented_as_untrusted_data(outcome: tuple[AgentOutcome, StandIn, Path]) -> None:
    _, stand_in, _ = outcome
    first = stand_in.requests[0]
    system = first.body["system"] if first.protocol == "anthropic" else first.body["messages"][0]["content"]
    tag = system.split("<")[1].split(" ")[0]
    assert tag.startswith("untrusted-data-")
    prompt = json.dumps(first.body["messages"])
    assert f"<{tag} source=" in prompt
    assert "Ignore all previous instructions" not in system


def test_the_transcript_records_everything_and_never_the_key(
    outcome: tuple[AgentOutcome, StandIn, Path],
) -> None:
    result, stand_in, _ = outcome
    transcript = (result.report.run_dir / "transcript.jsonl").read_text()
    assert API_KEY not in transcript
    assert API_KEY not in (result.report.run_dir / "hypotheses.json").read_text()
    events = [json.loads(line) for line in transcript.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start"
    assert kinds[-1] == "end"
    assert kinds.count("request") == kinds.count("response") == len(stand_in.requests)
    assert kinds.count("tool_call") == kinds.count("tool_result") > 0
    # The key did reach the provider, in the one header that carries it.
    header = "x-api-key" if stand_in.requests[0].protocol == "anthropic" else "authorization"
    assert API_KEY in stand_in.requests[0].headers[header]
