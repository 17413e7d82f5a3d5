"""The LLM provider seam: one `Provider` per wire protocol, and the agent's error root.

A provider turns a provider-neutral `ModelRequest` (system prompt, conversation, tool
specifications, an output cap) into its API's request body, posts it, and decodes the reply into
an `AssistantTurn`. Everything else the agent does (tools, budget, transcript) is the same for
every provider.

    AgentError                  exit 3 unless a subclass says otherwise
    ├── AgentConfigError        exit 2: no provider configured, a bad config file or budget
    └── ProviderError           exit 2: the provider is unreachable, refused the key, or answered
                                outside its protocol (the scan's own results are still reported)
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from firstpatch.errors import ExitCode, FirstpatchError

# JSON as the wire carries it; narrowed where it is read.
JsonObject = dict[str, Any]


class AgentError(FirstpatchError):
    """Root of the agent's errors."""


class AgentConfigError(AgentError):
    exit_code = ExitCode.USAGE


class ProviderError(AgentError):
    exit_code = ExitCode.USAGE


class StopReason(enum.StrEnum):
    """Why the model stopped, mapped from each API's own values."""

    END = "end"  # a natural end of the turn
    TOOL_USE = "tool_use"  # it wants tools run
    MAX_TOKENS = "max_tokens"  # the output cap cut it off
    REFUSAL = "refusal"  # the provider's safety layer stopped it
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_write_tokens + self.cache_read_tokens


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str
    schema: JsonObject  # JSON Schema of the arguments object


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: JsonObject | None  # None when the model sent arguments that are not a JSON object
    raw_arguments: str = ""  # what it sent, for the error message and the transcript


@dataclass(frozen=True, slots=True)
class ToolResult:
    call_id: str
    content: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class UserText:
    text: str


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    text: str
    tool_calls: tuple[ToolCall, ...]
    stop: StopReason
    usage: Usage
    # The provider's own form of this message, sent back verbatim in later requests so that
    # blocks firstpatch does not model (thinking, citations) survive the round trip.
    native: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ToolResults:
    results: tuple[ToolResult, ...]


Message = UserText | AssistantTurn | ToolResults


@dataclass(frozen=True, slots=True)
class ModelRequest:
    system: str
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...]
    max_tokens: int


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its reply, as sent and received (for the transcript)."""

    request: JsonObject
    response: JsonObject
    turn: AssistantTurn


class Provider(ABC):
    """A chat API with native tool calling."""

    name: str  # "anthropic", "openai"
    model: str

    @abstractmethod
    def encode(self, request: ModelRequest) -> JsonObject:
        """The request body exactly as it will be posted (the budget estimates its size)."""

    @abstractmethod
    def send(self, body: JsonObject) -> JsonObject:
        """Post an encoded body and return the decoded JSON reply; `ProviderError` otherwise."""

    @abstractmethod
    def decode(self, body: JsonObject) -> AssistantTurn:
        """The reply as a turn; `ProviderError` when it is not what the protocol documents."""

    def complete(self, request: ModelRequest) -> Exchange:
        body = self.encode(request)
        reply = self.send(body)
        return Exchange(body, reply, self.decode(reply))
