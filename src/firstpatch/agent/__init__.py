"""firstpatch.agent: an optional language model that proposes, and never asserts.

With a provider configured (see `config`), `augment_run(run)` gives the model firstpatch's own
stages as tools and lets it triage unconfirmed findings, hunt each entry point for flaws beyond
the taint rules, and write patches where no codemod applies. Only what the prove sandbox
confirms becomes a finding and only what the patch stage verifies is a verified patch; every
other claim stays a `Hypothesis`. Without a provider, `augment_run` returns None and nothing
changes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import platformdirs

from firstpatch.agent.anthropic import AnthropicProvider
from firstpatch.agent.budget import DEFAULT_LIMIT, Budget, BudgetLimit, Prices, parse_budget
from firstpatch.agent.config import (
    HOW_TO_CONFIGURE,
    AgentConfig,
    default_config_path,
    load_config,
    make_provider,
)
from firstpatch.agent.hunter import PHASES, AgentOptions, AgentReport, Hunter
from firstpatch.agent.hypothesis import AccessTest, Hypothesis, Principal, SinkTest, Verdict, Weakness
from firstpatch.agent.interface import AgentConfigError, AgentError, Provider, ProviderError
from firstpatch.agent.openai_chat import OpenAIChatProvider
from firstpatch.agent.rules import AGENT_RULES, agent_rule_docs
from firstpatch.model import FindingKind, Run
from firstpatch.prove import Limits
from firstpatch.rank import ranked


@dataclass(frozen=True, slots=True)
class AgentOutcome:
    run: Run  # the scan's run with the agent's findings, evidence and patches merged in
    report: AgentReport


def default_run_dir() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path(platformdirs.user_data_dir("firstpatch", appauthor=False)) / "agent-runs"
    return base / f"{stamp}-{secrets.token_hex(3)}"


def augment_run(
    run: Run,
    *,
    config: AgentConfig | None = None,
    budget: BudgetLimit | None = None,
    run_dir: Path | None = None,
    phases: tuple[str, ...] = PHASES,
    limits: Limits | None = None,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> AgentOutcome | None:
    """The run with the agent's work merged in, or None when no provider is configured.

    `budget` defaults to the configuration's, else `budget.DEFAULT_LIMIT`. The run folder (the
    transcript and `hypotheses.json`) defaults to a new folder under the user's data folder.
    """
    env = os.environ if env is None else env
    config = config or load_config(env=env)
    if config is None:
        return None
    provider = make_provider(config, env, transport)
    options = AgentOptions(
        budget=budget or config.budget or DEFAULT_LIMIT,
        prices=config.model_prices,
        phases=phases,
        max_output_tokens=config.max_output_tokens,
        limits=limits,
    )
    folder = run_dir or default_run_dir()
    hunter = Hunter(Path(run.target), provider, options, folder, api_key=env.get(config.key_variable))
    report = hunter.run(run.findings)
    others = tuple(f for f in run.findings if f.kind is not FindingKind.CODE)
    merged = replace(run, findings=ranked((*others, *report.findings)), stages=(*run.stages, "agent"))
    return AgentOutcome(merged, report)


__all__ = [
    "AGENT_RULES",
    "HOW_TO_CONFIGURE",
    "PHASES",
    "AccessTest",
    "AgentConfig",
    "AgentConfigError",
    "AgentError",
    "AgentOptions",
    "AgentOutcome",
    "AgentReport",
    "AnthropicProvider",
    "Budget",
    "BudgetLimit",
    "Hunter",
    "Hypothesis",
    "OpenAIChatProvider",
    "Prices",
    "Principal",
    "Provider",
    "ProviderError",
    "SinkTest",
    "Verdict",
    "Weakness",
    "agent_rule_docs",
    "augment_run",
    "default_config_path",
    "default_run_dir",
    "load_config",
    "make_provider",
    "parse_budget",
]
