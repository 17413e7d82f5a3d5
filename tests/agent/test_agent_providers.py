"""Each provider client against the stand-in: the documented request shapes, replies, errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from llm_stand_in import Call, StandIn, Turn

from firstpatch.agent import AnthropicProvider, OpenAIChatProvider, Provider, ProviderError
from firstpatch.agent.interface import (
    ModelRequest,
    StopReason,
    ToolResult,
    ToolResults,
    ToolSpec,
    Usage,
    UserText,
)

KEY = "sk-provider-test-0a1b2c3d4e5f"
TOOL = ToolSpec(
    "read_file",
    "Read a file.",
    {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)
SCRIPT = {
    "Task: demo": [
        Turn("Let me look.", (Call("read_file", {"path": "app.py"}),), input_tokens=120, output_tokens=30),
        Turn("Nothing here.", input_tokens=300, output_tokens=12),
    ]
}


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn(SCRIPT, KEY)
    yield server
    server.close()


def _provider(name: str, stand_in: StandIn, key: str = KEY, retries: int = 0) -> Provider:
    if name == "anthropic":
        return AnthropicProvider("scripted", key, base_url=stand_in.base, retries=retries)
    return OpenAIChatProvider("scripted", key, base_url=stand_in.base + "/v1", retries=retries)


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_a_tool_round_trip_in_the_documented_shapes(name: str, stand_in: StandIn) -> None:
    provider = _provider(name, stand_in)
    first = ModelRequest("You audit.", (UserText("Task: demo"),), (TOOL,), 512)
    turn = provider.complete(first).turn
    assert (turn.text, turn.stop, turn.usage) == ("Let me look.", StopReason.TOOL_USE, Usage(120, 30))
    (call,) = turn.tool_calls
    assert (call.name, call.arguments) == ("read_file", {"path": "app.py"})
    result = ToolResults((ToolResult(call.id, "no such file", is_error=True),))
    second = provider.complete(ModelRequest("You audit.", (*first.messages, turn, result), (TOOL,), 512)).turn
    assert (second.text, second.stop, second.tool_calls) == ("Nothing here.", StopReason.END, ())
    assert stand_in.violations == []
    body = stand_in.requests[-1].body
    if name == "anthropic":
        assert body["system"] == "You audit."
        assert body["tools"] == [
            {"name": "read_file", "description": "Read a file.", "input_schema": TOOL.schema}
        ]
        answer = body["messages"][2]["content"][0]
        assert answer == {
            "type": "tool_result",
            "tool_use_id": call.id,
            "content": "no such file",
            "is_error": True,
        }
        assert stand_in.requests[-1].headers["anthropic-version"] == "2023-06-01"
    else:
        assert body["messages"][0] == {"role": "system", "content": "You audit."}
        function = {"name": "read_file", "description": "Read a file.", "parameters": TOOL.schema}
        assert body["tools"][0] == {"type": "function", "function": function}
        assert body["messages"][3] == {
            "role": "tool",
            "tool_call_id": call.id,
            "content": "ERROR: no such file",
        }
        assert body["max_tokens"] == 512


def test_openai_s_own_api_gets_max_completion_tokens() -> None:
    hosted = OpenAIChatProvider("gpt", KEY)
    local = OpenAIChatProvider("q", None, base_url="http://localhost:11434/v1")
    assert (hosted.token_limit_field, local.token_limit_field) == ("max_completion_tokens", "max_tokens")


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_a_refused_key_is_one_clear_error_without_the_key(name: str, stand_in: StandIn) -> None:
    wrong = "sk-wrong-key-99999999"
    provider = _provider(name, stand_in, key=wrong)
    with pytest.raises(ProviderError) as raised:
        provider.complete(ModelRequest("s", (UserText("Task: demo"),), (), 64))
    message = str(raised.value)
    assert "HTTP 401" in message
    assert (
        "authentication_error: invalid x-api-key" if name == "anthropic" else "Incorrect API key"
    ) in message
    assert wrong not in message


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_overload_is_retried_after_the_server_s_delay(name: str, stand_in: StandIn) -> None:
    stand_in.fail_next = [529 if name == "anthropic" else 429]
    turn = _provider(name, stand_in, retries=2).complete(
        ModelRequest("s", (UserText("Task: demo"),), (TOOL,), 64)
    )
    assert turn.turn.tool_calls[0].name == "read_file"
    assert len(stand_in.requests) == 2


def test_arguments_that_are_not_json_reach_the_toolbox_as_such() -> None:
    reply = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "x", "arguments": "{oops"}}
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1},
    }
    turn = OpenAIChatProvider("m", None, base_url="http://127.0.0.1:9/v1").decode(reply)
    assert (turn.tool_calls[0].arguments, turn.tool_calls[0].raw_arguments) == (None, "{oops")


def test_an_unreachable_provider_is_a_provider_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    provider = AnthropicProvider("m", KEY, transport=httpx.MockTransport(refuse), retries=0)
    with pytest.raises(ProviderError, match="could not be reached"):
        provider.complete(ModelRequest("s", (UserText("hi"),), (), 16))


def test_a_reply_outside_the_protocol_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="without a content list"):
        AnthropicProvider("m", KEY).decode({"type": "message"})
    with pytest.raises(ProviderError, match="without choices"):
        OpenAIChatProvider("m", KEY).decode({"object": "chat.completion"})
