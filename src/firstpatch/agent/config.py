"""Which model the agent talks to: a TOML file plus environment variables, never the target.

The configuration is read from `--llm-config FILE`, else `$FIRSTPATCH_LLM_CONFIG`, else
`agent.toml` in the user's config folder; `FIRSTPATCH_LLM_PROVIDER`, `FIRSTPATCH_LLM_MODEL` and
`FIRSTPATCH_LLM_BASE_URL` override it. Nothing is read from the scanned tree: a hostile
repository must not be able to point the agent at its own server or lift the budget. The API
key is read from the environment only (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, or the variable the
file names in `api_key_env`); it is held in memory and never written anywhere.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import platformdirs

from firstpatch.agent import anthropic, openai_chat
from firstpatch.agent.budget import BudgetLimit, Prices, parse_budget
from firstpatch.agent.interface import AgentConfigError, Provider

PROVIDERS = ("anthropic", "openai")
DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
_LLM_KEYS = frozenset(
    {"provider", "model", "base_url", "api_key_env", "max_output_tokens", "timeout_seconds", "budget",
     "token_limit_field"}
)  # fmt: skip
_PRICE_KEYS = frozenset({"input", "output", "cache_read", "cache_write"})

HOW_TO_CONFIGURE = """\
No language model is configured, so the agent is off and scans run without it.
To turn it on, set a provider and a model, for example:

  export FIRSTPATCH_LLM_PROVIDER=anthropic FIRSTPATCH_LLM_MODEL=claude-sonnet-4-5
  export ANTHROPIC_API_KEY=...

or for an OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp, LM Studio):

  export FIRSTPATCH_LLM_PROVIDER=openai FIRSTPATCH_LLM_MODEL=qwen2.5-coder:14b
  export FIRSTPATCH_LLM_BASE_URL=http://localhost:11434/v1

or write the same as [llm] provider/model/base_url in {path}, with per-model prices under
[prices."MODEL"]. docs/agent.md has the details."""


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("firstpatch", appauthor=False)) / "agent.toml"


@dataclass(frozen=True, slots=True)
class AgentConfig:
    provider: str
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    max_output_tokens: int = 4096
    timeout_seconds: float = 120.0
    budget: BudgetLimit | None = None  # the default for --llm-budget
    token_limit_field: str | None = None
    prices: Mapping[str, Prices] = field(default_factory=dict)
    source: str = "environment"  # where it came from, for `firstpatch agent status`

    @property
    def key_variable(self) -> str:
        return self.api_key_env or DEFAULT_KEY_ENV[self.provider]

    @property
    def model_prices(self) -> Prices | None:
        return self.prices.get(self.model)


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> AgentConfig | None:
    """The configuration, or None when no provider is configured (the agent is then off)."""
    env = os.environ if env is None else env
    explicit = path or (Path(env["FIRSTPATCH_LLM_CONFIG"]) if env.get("FIRSTPATCH_LLM_CONFIG") else None)
    file = explicit or default_config_path()
    settings: dict[str, Any] = {}
    prices: dict[str, Prices] = {}
    source = "environment"
    if explicit is not None or file.is_file():
        settings, prices = _read_file(file)
        source = str(file)
    for key, variable in (
        ("provider", "FIRSTPATCH_LLM_PROVIDER"),
        ("model", "FIRSTPATCH_LLM_MODEL"),
        ("base_url", "FIRSTPATCH_LLM_BASE_URL"),
    ):
        if env.get(variable):
            settings[key] = env[variable]
    provider, model = settings.get("provider"), settings.get("model")
    if not provider:
        return None
    if provider not in PROVIDERS:
        raise AgentConfigError(f"{source}: unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")
    if not model:
        raise AgentConfigError(f"{source}: provider {provider!r} is set but no model (FIRSTPATCH_LLM_MODEL)")
    budget = settings.get("budget")
    return AgentConfig(
        provider=str(provider),
        model=str(model),
        base_url=_optional_str(settings, "base_url", source),
        api_key_env=_optional_str(settings, "api_key_env", source),
        max_output_tokens=_positive(settings, "max_output_tokens", 4096, source),
        timeout_seconds=float(_positive(settings, "timeout_seconds", 120, source)),
        budget=parse_budget(str(budget)) if budget is not None else None,
        token_limit_field=_optional_str(settings, "token_limit_field", source),
        prices=prices,
        source=source,
    )


def make_provider(
    config: AgentConfig, env: Mapping[str, str] | None = None, transport: httpx.BaseTransport | None = None
) -> Provider:
    """The provider client, with its key taken from the environment at this moment only."""
    env = os.environ if env is None else env
    key = env.get(config.key_variable) or None
    if config.provider == "anthropic":
        if key is None and config.base_url is None:
            raise AgentConfigError(f"the Anthropic API needs a key: set {config.key_variable}")
        return anthropic.AnthropicProvider(
            config.model,
            key,
            base_url=config.base_url or anthropic.DEFAULT_BASE_URL,
            timeout=config.timeout_seconds,
            transport=transport,
        )
    if key is None and config.base_url is None:
        raise AgentConfigError(
            f"the OpenAI API needs a key: set {config.key_variable} "
            "(or FIRSTPATCH_LLM_BASE_URL for a local server)"
        )
    return openai_chat.OpenAIChatProvider(
        config.model,
        key,
        base_url=config.base_url or openai_chat.DEFAULT_BASE_URL,
        timeout=config.timeout_seconds,
        token_limit_field=config.token_limit_field,
        transport=transport,
    )


def _read_file(path: Path) -> tuple[dict[str, Any], dict[str, Prices]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AgentConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise AgentConfigError(f"{path}: not UTF-8 text") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AgentConfigError(f"{path}: {exc}") from exc
    unknown = sorted(set(data) - {"llm", "prices"})
    if unknown:
        raise AgentConfigError(f"{_where(path, text, unknown[0])}: unknown table or key {unknown[0]!r}")
    llm = data.get("llm", {})
    if not isinstance(llm, dict):
        raise AgentConfigError(f"{_where(path, text, 'llm')}: [llm] must be a table")
    if "api_key" in llm:
        raise AgentConfigError(
            f"{_where(path, text, 'api_key')}: keys belong in the environment, not in a file"
        )
    for key in sorted(set(llm) - _LLM_KEYS):
        raise AgentConfigError(f"{_where(path, text, key)}: unknown key {key!r} in [llm]")
    prices: dict[str, Prices] = {}
    table = data.get("prices", {})
    if not isinstance(table, dict):
        raise AgentConfigError(f"{_where(path, text, 'prices')}: [prices] must be a table of models")
    for model, entry in table.items():
        if not isinstance(entry, dict) or set(entry) - _PRICE_KEYS or not {"input", "output"} <= set(entry):
            raise AgentConfigError(
                f"{_where(path, text, model)}: prices for {model!r} need input and output "
                "(USD per million tokens), optionally cache_read and cache_write"
            )
        values = {}
        for name, value in entry.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise AgentConfigError(
                    f"{_where(path, text, model)}: price {name} of {model!r} must be a number ≥ 0"
                )
            values[name] = float(value)
        prices[str(model)] = Prices(**values)
    return dict(llm), prices


def _where(path: Path, text: str, key: str) -> str:
    """`path:line` of the first line that defines `key` (tomllib reports no lines for values)."""
    pattern = re.compile(rf"""^\s*(\[\s*)?(\w+\.)?["']?{re.escape(key)}["']?\s*[=\]]""")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return f"{path}:{number}"
    return str(path)


def _optional_str(settings: Mapping[str, Any], key: str, source: str) -> str | None:
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise AgentConfigError(f"{source}: {key} must be a non-empty string")
    return value


def _positive(settings: Mapping[str, Any], key: str, default: int, source: str) -> int:
    value = settings.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise AgentConfigError(f"{source}: {key} must be a positive whole number")
    return value
