"""OpenAI-compatible Chat Completions (`POST {base}/chat/completions`), with native tool calls.

The same protocol is served by OpenAI, vLLM, Ollama (`http://localhost:11434/v1`), the llama.cpp
server (`http://localhost:8080/v1`) and LM Studio. Request: `model`, `messages` (`system`, `user`,
`assistant` with `tool_calls`, and `tool` messages that answer a `tool_call_id`), `tools`
(`{"type": "function", "function": {name, description, parameters}}`) and an output cap. The
reply's `choices[0].message` carries `content` and `tool_calls` (`id`, `function.name`,
`function.arguments` as a JSON string), `finish_reason` says why it stopped and `usage` counts
`prompt_tokens` and `completion_tokens`.
"""

from __future__ import annotations

import json
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

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_FINISH_REASONS = {
    "stop": StopReason.END,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
    "length": StopReason.MAX_TOKENS,
    "content_filter": StopReason.REFUSAL,
}


class OpenAIChatProvider(Provider):
    name = "openai"

    def __init__(
        self,
        model: str,
        api_key: str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 120.0,
        token_limit_field: str | None = None,
        transport: httpx.BaseTransport | None = None,
        retries: int = 3,
    ) -> None:
        self.model = model
        headers = {"content-type": "application/json"}
        if api_key:  # local servers (Ollama, llama.cpp) need none
            headers["authorization"] = f"Bearer {api_key}"
        # OpenAI's own API deprecated `max_tokens` for `max_completion_tokens`, which its reasoning
        # models require; compatible servers mostly know only `max_tokens`.
        self.token_limit_field = token_limit_field or (
            "max_completion_tokens" if "api.openai.com" in base_url else "max_tokens"
        )
        self._poster = JsonPoster(
            base_url, headers, secret=api_key, timeout=timeout, transport=transport, retries=retries
        )

    def encode(self, request: ModelRequest) -> JsonObject:
        messages: list[JsonObject] = [{"role": "system", "content": request.system}]
        for message in request.messages:
            messages += _messages(message)
        body: JsonObject = {
            "model": self.model,
            "messages": messages,
            self.token_limit_field: request.max_tokens,
        }
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.schema,
                    },
                }
                for tool in request.tools
            ]
        return body

    def send(self, body: JsonObject) -> JsonObject:
        return self._poster.post("/chat/completions", body)

    def decode(self, body: JsonObject) -> AssistantTurn:
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ProviderError("Chat Completions reply without choices")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise ProviderError("Chat Completions reply without a message")
        calls = tuple(_tool_call(call) for call in message.get("tool_calls") or ())
        # Some compatible servers say "stop" even when they ask for tools; the calls decide.
        stop = _FINISH_REASONS.get(str(choices[0].get("finish_reason")), StopReason.OTHER)
        if calls:
            stop = StopReason.TOOL_USE
        content = message.get("content")
        native = {"role": "assistant", "content": content}
        if message.get("tool_calls"):
            native["tool_calls"] = message["tool_calls"]
        text = content if isinstance(content, str) else ""
        return AssistantTurn(text, calls, stop, _usage(body.get("usage")), native=native)


def _messages(message: Message) -> list[JsonObject]:
    match message:
        case UserText(text):
            return [{"role": "user", "content": text}]
        case AssistantTurn():
            return [message.native or _assistant(message)]
        case ToolResults(results):
            # The protocol has no error flag on a tool message; the text says it.
            return [
                {
                    "role": "tool",
                    "tool_call_id": result.call_id,
                    "content": f"ERROR: {result.content}" if result.is_error else result.content,
                }
                for result in results
            ]


def _assistant(turn: AssistantTurn) -> JsonObject:
    message: JsonObject = {"role": "assistant", "content": turn.text or None}
    if turn.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments or {})},
            }
            for call in turn.tool_calls
        ]
    return message


def _tool_call(value: Any) -> ToolCall:
    if not isinstance(value, dict) or not isinstance(value.get("function"), dict):
        raise ProviderError("Chat Completions tool call without a function")
    function = value["function"]
    raw = function.get("arguments")
    arguments: Any = raw
    if isinstance(raw, str):  # the documented form; some servers send the object itself
        try:
            arguments = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            arguments = None
    return ToolCall(
        id=str(value.get("id", "")),
        name=str(function.get("name", "")),
        arguments=arguments if isinstance(arguments, dict) else None,
        raw_arguments=raw[:500] if isinstance(raw, str) else "",
    )


def _usage(value: Any) -> Usage:
    if not isinstance(value, dict):
        return Usage()
    prompt, completion = value.get("prompt_tokens"), value.get("completion_tokens")
    details = value.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    cached = cached if isinstance(cached, int) and cached >= 0 else 0
    prompt = prompt if isinstance(prompt, int) and prompt >= 0 else 0
    return Usage(
        input_tokens=prompt - min(cached, prompt),
        output_tokens=completion if isinstance(completion, int) and completion >= 0 else 0,
        cache_read_tokens=min(cached, prompt),
    )
