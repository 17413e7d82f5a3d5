"""Schemathesis drives the JSON API from its own OpenAPI description, signed in as a triager:
no generated request may get a server error, and every answer must match the description."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from web_site import Site, build_site

from firstpatch.store import sqlite_url

# Enough to reach every parameter's edge cases; the whole run stays within seconds.
EXAMPLES = 20


@pytest.fixture(scope="module")
def fuzzed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = sqlite_url(tmp_path_factory.mktemp("fuzz") / "firstpatch.db")
    yield from build_site(url)


def _operations(site: Site) -> list[Any]:
    loaded = schemathesis.openapi.from_asgi(
        "/api/openapi.json", site.app, headers={"Authorization": f"Bearer {site.tokens['alice']}"}
    )
    return [result.ok() for result in loaded.get_all_operations()]


def _fuzz(operation: Any, headers: dict[str, str]) -> set[int]:
    """The statuses the operation answered to its generated cases; a failed check raises."""
    statuses: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        # Reproducible in CI; a developer's runs explore new cases each time.
        derandomize=bool(os.environ.get("CI")),
    )
    def check(case: Any) -> None:
        statuses.add(case.call_and_validate(headers=headers).status_code)

    check()
    return statuses


@pytest.mark.slow
def test_the_api_gives_no_server_error_and_keeps_its_description(fuzzed_site: Site) -> None:
    # Each operation's cases come from its strategy (schemathesis's pytest loader cannot take a
    # fixture's app on this pytest), run by Hypothesis, checked by every default check.
    headers = {"Authorization": f"Bearer {fuzzed_site.tokens['alice']}"}
    operations = _operations(fuzzed_site)
    assert len(operations) >= 13
    answered = {operation.label: _fuzz(operation, headers) for operation in operations}
    # Signed in: the reads answered, and the writes reached the store (a 404 for a made-up
    # finding, 422 for a made-up body) rather than stopping at the door.
    assert 200 in answered["GET /api/overview"]
    assert 200 in answered["GET /api/projects"]
    assert answered["POST /api/projects/{key}/findings/{fingerprint}/reopen"] & {404, 422}
    assert not [label for label, seen in answered.items() if seen & {401, 403}]
