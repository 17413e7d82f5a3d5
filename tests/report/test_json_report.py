"""The JSON report is the findings-v1 document: valid, stable and a lossless copy of the run."""

from __future__ import annotations

import dataclasses
import json

import pytest
from jsonschema import Draft202012Validator

from firstpatch.model import Run, from_json, schema, to_json
from firstpatch.model.types import Fingerprint
from firstpatch.report import InvalidReportError, JsonReporter, ReportError


def test_report_validates_against_findings_v1(sample_run: Run) -> None:
    document = json.loads(JsonReporter().render(sample_run))
    Draft202012Validator(schema()).validate(document)
    assert document["schema"] == "findings-v1"


def test_report_round_trips_to_the_same_run(sample_run: Run) -> None:
    document = json.loads(JsonReporter().render(sample_run))
    assert from_json(Run, document["run"]) == sample_run


def test_model_round_trip(sample_run: Run) -> None:
    assert from_json(Run, to_json(sample_run)) == sample_run


def test_output_is_stable_and_sorted(sample_run: Run) -> None:
    first = JsonReporter().render(sample_run)
    assert first == JsonReporter().render(sample_run)
    assert first.endswith("}\n")
    document = json.loads(first)
    assert list(document) == sorted(document)
    assert list(document["run"]["findings"][0]) == sorted(document["run"]["findings"][0])


def test_our_own_invalid_output_is_an_internal_error(sample_run: Run) -> None:
    bad = dataclasses.replace(sample_run.findings[0], fingerprint=Fingerprint("not-a-fingerprint"))
    run = dataclasses.replace(sample_run, findings=(bad,))
    with pytest.raises(InvalidReportError, match="run/findings/0/fingerprint") as caught:
        JsonReporter().render(run)
    assert isinstance(caught.value, ReportError)
    assert caught.value.exit_code == 3
