"""Fixtures for the reporter tests, and the switch that rewrites golden files.

Regenerate the golden files with `pytest tests/report --update-golden` or with
FIRSTPATCH_UPDATE_GOLDEN=1 in the environment, then read the diff before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import report_sample

from firstpatch.model import Run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/report/golden/* from the current reporters instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    # The option exists only when this conftest is loaded at start-up (pytest tests/report ...);
    # the environment variable works however pytest is started.
    option = bool(request.config.getoption("--update-golden", default=False))
    return option or os.environ.get("FIRSTPATCH_UPDATE_GOLDEN") == "1"


@pytest.fixture
def sample_run(tmp_path: Path) -> Run:
    return report_sample.sample_run(tmp_path)


@pytest.fixture(name="apply_replacements")
def apply_replacements_fixture() -> Callable[[str, list[dict[str, Any]]], str]:
    return report_sample.apply_replacements
