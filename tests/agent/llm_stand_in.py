"""A local stand-in for the model APIs: an HTTP server on 127.0.0.1 that speaks the Anthropic
Messages API and OpenAI Chat Completions as documented, and plays scripted model turns.

It checks every request the way the real services do (authentication header, API version,
message order, every tool call answered by id, tool definitions in each API's shape) and answers
violations with the documented error shape and a 4xx status, recording them in `violations`.
Which script plays is chosen by the first user message of the conversation (the task line), and
which turn by the number of assistant messages already in it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Turn:
    text: str = ""
    calls: tuple[Call, ...] = ()
    input_tokens: int = 200
    output_tokens: int = 40


@dataclass
class Recorded:
    protocol: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class StandIn:
    scripts: dict[str, list[Turn]]
    api_key: str
    requests: list[Recorded] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before serving normally

    def __post_init__(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stand_in._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self._ids = 0

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def texts(self) -> str:
        """Everything the client sent, as one string (to search for what must never be there)."""
        return "\n".join(json.dumps(r.body) + json.dumps(r.headers) for r in self.requests)

    # -- serving ------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length", "0"))
        raw = handler.rfile.read(length)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        protocol = {"/v1/messages": "anthropic", "/v1/chat/completions": "openai"}.get(handler.path)
        if protocol is None:
            return self._send(handler, 404, {"error": {"type": "not_found_error", "message": handler.path}})
        try:
            body = json.loads(raw)
        except ValueError:
            return self._reject(handler, protocol, 400, "invalid_request_error", "body is not JSON")
        self.requests.append(Recorded(protocol, headers, body))
        if self.fail_next:
            status = self.fail_next.pop(0)
            return self._reject(handler, protocol, status, "overloaded_error", "try again", retry_after="0")
        if protocol == "anthropic":
            if headers.get("x-api-key") != self.api_key:
                return self._reject(handler, protocol, 401, "authentication_error", "invalid x-api-key")
            problem = self._check_anthropic(headers, body)
        else:
            if headers.get("authorization") != f"Bearer {self.api_key}":
                return self._reject(handler, protocol, 401, "invalid_api_key", "Incorrect API key provided")
            problem = self._check_openai(body)
        if problem:
            self.violations.append(problem)
            return self._reject(handler, protocol, 400, "invalid_request_error", problem)
        turn = self._turn(protocol, body)
        reply = (
            self._anthropic_reply(body, turn) if protocol == "anthropic" else self._openai_reply(body, turn)
        )
        return self._send(handler, 200, reply)

    def _turn(self, protocol: str, body: dict[str, Any]) -> Turn:
        messages = body["messages"]
        first_user = next(m for m in messages if m["role"] == "user")
        content = first_user["content"]
        task = content if isinstance(content, str) else content[0]["text"]
        done = sum(1 for m in messages if m["role"] == "assistant")
        for marker, turns in self.scripts.items():
            if marker in task:
                return turns[done] if done < len(turns) else Turn("Done.")
        return Turn("Nothing worth testing here.")

    # -- Anthropic Messages API -------------------------------------------------------------

    def _check_anthropic(self, headers: dict[str, str], body: dict[str, Any]) -> str | None:
        if headers.get("anthropic-version") != ANTHROPIC_VERSION:
            return "anthropic-version header missing or unknown"
        if not isinstance(body.get("model"), str) or not isinstance(body.get("max_tokens"), int):
            return "model and max_tokens are required"
        if body["max_tokens"] < 1:
            return "max_tokens: must be at least 1"
        for tool in body.get("tools", []):
            if (
                set(tool) != {"name", "description", "input_schema"}
                or tool["input_schema"].get("type") != "object"
            ):
                return f"tools: {tool.get('name')}: a tool has name, description and an object input_schema"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or messages[0]["role"] != "user":
            return "messages: must start with a user turn"
        pending: set[str] = set()
        for index, message in enumerate(messages):
            expected = "user" if index % 2 == 0 else "assistant"
            if message.get("role") != expected:
                return f"messages.{index}: roles must alternate user/assistant"
            blocks = message["content"]
            if not isinstance(blocks, list):
                continue
            results = [b for b in blocks if b.get("type") == "tool_result"]
            if pending:
                if blocks[: len(results)] != results:
                    return f"messages.{index}: tool_result blocks must come first"
                answered = {b["tool_use_id"] for b in results}
                if answered != pending:
                    return (
                        f"messages.{index}: tool_use ids {sorted(pending)} need exactly one tool_result each"
                    )
                if any(not isinstance(b.get("content"), str | list) for b in results):
                    return f"messages.{index}: tool_result content must be a string or blocks"
            elif results:
                return f"messages.{index}: tool_result without a preceding tool_use"
            pending = (
                {b["id"] for b in blocks if b.get("type") == "tool_use"} if expected == "assistant" else set()
            )
        return None

    def _anthropic_reply(self, body: dict[str, Any], turn: Turn) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": turn.text}] if turn.text else []
        for call in turn.calls:
            content.append(
                {"type": "tool_use", "id": self._id("toolu_"), "name": call.name, "input": call.arguments}
            )
        return {
            "id": self._id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": "tool_use" if turn.calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": turn.input_tokens, "output_tokens": turn.output_tokens},
        }

    # -- OpenAI Chat Completions ------------------------------------------------------------

    def _check_openai(self, body: dict[str, Any]) -> str | None:
        if not isinstance(body.get("model"), str):
            return "model is required"
        limit = body.get("max_tokens", body.get("max_completion_tokens"))
        if not isinstance(limit, int) or limit < 1:
            return "max_tokens (or max_completion_tokens) must be a positive integer"
        for tool in body.get("tools", []):
            function = tool.get("function", {})
            if tool.get("type") != "function" or "name" not in function or "parameters" not in function:
                return "tools: each tool is {type: function, function: {name, description, parameters}}"
        pending: set[str] = set()
        for index, message in enumerate(body.get("messages", [])):
            role = message.get("role")
            if role not in ("system", "user", "assistant", "tool"):
                return f"messages[{index}]: unknown role {role!r}"
            if role == "tool":
                if message.get("tool_call_id") not in pending:
                    return f"messages[{index}]: tool message does not answer a pending tool_call_id"
                pending.discard(message["tool_call_id"])
                if not isinstance(message.get("content"), str):
                    return f"messages[{index}]: tool content must be a string"
                continue
            if pending:
                return f"messages[{index}]: tool_calls {sorted(pending)} were not answered"
            if role == "assistant":
                for call in message.get("tool_calls") or []:
                    if call.get("type") != "function" or not isinstance(
                        call["function"].get("arguments"), str
                    ):
                        return f"messages[{index}]: tool_calls carry function.arguments as a JSON string"
                    pending.add(call["id"])
        if pending:
            return f"tool_calls {sorted(pending)} were not answered"
        return None

    def _openai_reply(self, body: dict[str, Any], turn: Turn) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
        if turn.calls:
            message["tool_calls"] = [
                {
                    "id": self._id("call_"),
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for call in turn.calls
            ]
        usage = {"prompt_tokens": turn.input_tokens, "completion_tokens": turn.output_tokens}
        return {
            "id": self._id("chatcmpl-"),
            "object": "chat.completion",
            "created": 1_800_000_000,
            "model": body["model"],
            "choices": [
                {"index": 0, "message": message, "finish_reason": "tool_calls" if turn.calls else "stop"}
            ],
            "usage": {**usage, "total_tokens": turn.input_tokens + turn.output_tokens},
        }

    # -- helpers ----------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:04d}"

    def _reject(
        self,
        handler: BaseHTTPRequestHandler,
        protocol: str,
        status: int,
        kind: str,
        message: str,
        retry_after: str = "",
    ) -> None:
        if protocol == "anthropic":
            body = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            body = {"error": {"message": message, "type": kind, "param": None, "code": kind}}
        self._send(handler, status, body, {"retry-after": retry_after} if retry_after else {})

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode("utf-8")
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
