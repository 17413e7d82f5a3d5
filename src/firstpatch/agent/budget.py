"""The run's budget in tokens and money, and the gate every model call passes first.

Before a call the gate estimates the request's input tokens from its encoded size (about three
characters a token, on the high side for code and JSON) and allows the call only when that input
plus a useful amount of output still fits; the call's output cap is cut to what remains. After
the call the provider's own usage is charged. Money is charged at the per-model prices from the
configuration; a money limit without a price for the model is refused up front rather than
silently unenforced.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from firstpatch.agent.interface import AgentConfigError, JsonObject, Usage

CHARS_PER_TOKEN = 3
MIN_OUTPUT_TOKENS = 256  # below this a turn cannot say anything useful: stop instead
_ITEM = re.compile(
    r"^(?:\$(?P<dollars>\d+(?:\.\d+)?)|(?P<usd>\d+(?:\.\d+)?)\s*usd|(?P<tokens>\d+(?:\.\d+)?)\s*(?P<unit>[km]?)(?:\s*tokens?)?)$"
)


@dataclass(frozen=True, slots=True)
class Prices:
    """US dollars per million tokens."""

    input: float
    output: float
    cache_read: float | None = None  # default: the input price
    cache_write: float | None = None  # default: the input price

    def cost(self, usage: Usage) -> float:
        read = self.input if self.cache_read is None else self.cache_read
        write = self.input if self.cache_write is None else self.cache_write
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_read_tokens * read
            + usage.cache_write_tokens * write
        ) / 1_000_000


@dataclass(frozen=True, slots=True)
class BudgetLimit:
    tokens: int | None = None
    usd: float | None = None

    def describe(self) -> str:
        parts = [f"{self.tokens:,} tokens"] if self.tokens is not None else []
        parts += [f"${self.usd:.2f}"] if self.usd is not None else []
        return " and ".join(parts) or "no limit"


DEFAULT_LIMIT = BudgetLimit(tokens=200_000)


def parse_budget(text: str) -> BudgetLimit:
    """`200k`, `1.5M tokens`, `2usd`, `$2` or both separated by a comma: `200k,$2`."""
    tokens: int | None = None
    usd: float | None = None
    for raw in text.split(","):
        item = raw.strip().lower()
        match = _ITEM.match(item)
        if not item or match is None:
            raise AgentConfigError(
                f"--llm-budget: cannot read {raw.strip()!r}; write tokens (200k, 1.5M) and/or "
                "dollars (2usd, $2), separated by a comma"
            )
        if match["tokens"] is not None:
            scale = {"": 1, "k": 1_000, "m": 1_000_000}[match["unit"]]
            tokens = int(float(match["tokens"]) * scale)
        else:
            usd = float(match["dollars"] or match["usd"])
    return BudgetLimit(tokens, usd)


@dataclass
class Budget:
    limit: BudgetLimit
    prices: Prices | None
    model: str
    tokens: int = 0
    usd: float = 0.0
    calls: int = 0
    exhausted: str | None = None  # why the gate closed, in words for the report

    def __post_init__(self) -> None:
        if self.limit.usd is not None and self.prices is None:
            raise AgentConfigError(
                f"a money budget needs prices for model {self.model!r}: add "
                f'[prices."{self.model}"] with input and output (USD per million tokens) to the config'
            )

    def allow(self, body: JsonObject, wanted_output: int) -> int | None:
        """The output cap for this call, or None (and `exhausted` set) when it does not fit."""
        if self.exhausted:
            return None
        estimate = math.ceil(len(json.dumps(body)) / CHARS_PER_TOKEN)
        room = wanted_output
        if self.limit.tokens is not None:
            room = min(room, self.limit.tokens - self.tokens - estimate)
        if self.limit.usd is not None and self.prices is not None:
            left = self.limit.usd - self.usd - self.prices.cost(Usage(input_tokens=estimate))
            room = min(
                room, math.floor(left * 1_000_000 / self.prices.output) if self.prices.output else room
            )
        if room < MIN_OUTPUT_TOKENS:
            self.exhausted = (
                f"budget spent: {self.spent()} of {self.limit.describe()} used; the next call "
                f"(about {estimate:,} input tokens) would not fit"
            )
            return None
        return room

    def charge(self, usage: Usage) -> None:
        self.calls += 1
        self.tokens += usage.total
        if self.prices is not None:
            self.usd += self.prices.cost(usage)
        over_tokens = self.limit.tokens is not None and self.tokens > self.limit.tokens
        over_usd = self.limit.usd is not None and self.usd > self.limit.usd
        if over_tokens or over_usd:
            # The estimate was low: say so rather than pretend the limit held.
            self.exhausted = f"budget exceeded: {self.spent()} used of {self.limit.describe()}"

    def spent(self) -> str:
        text = f"{self.tokens:,} tokens in {self.calls} calls"
        return text + (f", ${self.usd:.4f}" if self.prices is not None else "")
