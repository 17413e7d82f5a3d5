"""The Anthropic Messages API (`POST {base}/v1/messages`), with its native tool use.

Request: `model`, `max_tokens`, `system`, `messages` (user/assistant turns whose `content` is a list
of blocks) and `tools` (`name`, `description`, `input_schema`). The reply's `content` holds `text`
and `tool_use` blocks (`id`, `name`, `input`), `stop_reason` says why it stopped and `usage` counts
`input_tokens` and `output_tokens` (plus cache reads and writes). Tool outcomes go back in the next
user turn as `tool_result` blocks (`tool_use_id`, `content`, `is_error`), placed before any text.
"""

from __future__ import annotations

from typing import Any

import httpx

from firstpatch.agent.interface import (
    AssistantTurn,
    JsonObject,
    Message,
    ModelRequest,
    Provider,
    ProviderError,
    StopReason,
    ToolCall,
    ToolResults,
    Usage,
    UserText,
)
from firstpatch.agent.wire import JsonPoster

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
_STOP_REASONS = {
    "end_turn": StopReason.END,
    "stop_sequence": StopReason.END,
    "tool_use": StopReason.TOOL_USE,
    "max_tokens": StopReason.MAX_TOKENS,
    "refusal": StopReason.REFUSAL,
}


class AnthropicProvider(Provider):
    name = "anthropic"

    def __init__(
        self,
        model: str,
        api_key: str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
        retries: int = 3,
    ) -> None:
        self.model = model
        headers = {"anthropic-version": API_VERSION, "content-type": "application/json"}
        if api_key:
            headers["x-api-key"] = api_key
        self._poster = JsonPoster(
            base_url, headers, secret=api_key, timeout=timeout, transport=transport, retries=retries
        )

    def encode(self, request: ModelRequest) -> JsonObject:
        body: JsonObject = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "system": request.system,
            "messages": [_message(message) for message in request.messages],
        }
        if request.tools:
            body["tools"] = [
                {"name": tool.name, "description": tool.description, "input_schema": tool.schema}
                for tool in request.tools
            ]
        return body

    def send(self, body: JsonObject) -> JsonObject:
        return self._poster.post("/v1/messages", body)

    def decode(self, body: JsonObject) -> AssistantTurn:
        content = body.get("content")
        if not isinstance(content, list):
            raise ProviderError("Messages API reply without a content list")
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in content:
            if not isinstance(block, dict):
                raise ProviderError("Messages API reply with a content block that is not an object")
            if block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif block.get("type") == "tool_use":
                arguments = block.get("input")
                calls.append(
                    ToolCall(
                        id=str(block.get("id", "")),
                        name=str(block.get("name", "")),
                        arguments=arguments if isinstance(arguments, dict) else None,
                        raw_arguments=repr(arguments)[:500] if not isinstance(arguments, dict) else "",
                    )
                )
        stop = _STOP_REASONS.get(str(body.get("stop_reason")), StopReason.OTHER)
        return AssistantTurn("\n".join(texts), tuple(calls), stop, _usage(body.get("usage")), native=content)


def _message(message: Message) -> JsonObject:
    match message:
        case UserText(text):
            return {"role": "user", "content": [{"type": "text", "text": text}]}
        case AssistantTurn():
            return {"role": "assistant", "content": message.native or _assistant_blocks(message)}
        case ToolResults(results):
            return {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": result.call_id,
                        "content": result.content,
                        "is_error": result.is_error,
                    }
                    for result in results
                ],
            }


def _assistant_blocks(turn: AssistantTurn) -> list[JsonObject]:
    blocks: list[JsonObject] = [{"type": "text", "text": turn.text}] if turn.text else []
    blocks += [
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments or {}}
        for call in turn.tool_calls
    ]
    return blocks


def _usage(value: Any) -> Usage:
    if not isinstance(value, dict):
        return Usage()
    return Usage(
        input_tokens=_count(value.get("input_tokens")),
        output_tokens=_count(value.get("output_tokens")),
        cache_write_tokens=_count(value.get("cache_creation_input_tokens")),
        cache_read_tokens=_count(value.get("cache_read_input_tokens")),
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
