"""One conversation with the model: ask, run the tools it calls, answer, until it stops.

Every request passes the budget gate first; every request, reply, tool call and tool result is
written to the transcript. The conversation ends when the model answers without a tool call,
when the turn limit is reached, or when the budget cannot pay for another turn.
"""

from __future__ import annotations

import enum
from dataclasses import replace

from firstpatch.agent.budget import Budget
from firstpatch.agent.interface import Message as ChatMessage
from firstpatch.agent.interface import ModelRequest, Provider, ToolResults, UserText
from firstpatch.agent.tools import Toolbox
from firstpatch.agent.transcript import Transcript


class Ending(enum.StrEnum):
    DONE = "done"  # the model finished
    TURN_LIMIT = "turn limit"
    BUDGET = "budget"


def converse(
    provider: Provider,
    budget: Budget,
    transcript: Transcript,
    *,
    system: str,
    task: str,
    prompt: str,
    toolbox: Toolbox,
    max_turns: int,
    max_output_tokens: int,
) -> Ending:
    """Run one task's conversation; `ProviderError` propagates (the run stops on it)."""
    messages: list[ChatMessage] = [UserText(prompt)]
    for _ in range(max_turns):
        request = ModelRequest(system, tuple(messages), toolbox.specs(), max_output_tokens)
        cap = budget.allow(provider.encode(request), max_output_tokens)
        if cap is None:
            transcript.write("budget", task, reason=budget.exhausted)
            return Ending.BUDGET
        body = provider.encode(replace(request, max_tokens=cap))
        transcript.write("request", task, provider=provider.name, body=body)
        reply = provider.send(body)
        transcript.write("response", task, body=reply)
        turn = provider.decode(reply)
        budget.charge(turn.usage)
        messages.append(turn)
        if not turn.tool_calls:
            return Ending.DONE
        results = []
        for call in turn.tool_calls:
            transcript.write("tool_call", task, id=call.id, name=call.name, arguments=call.arguments)
            result = toolbox.call(call)
            transcript.write("tool_result", task, id=call.id, error=result.is_error, content=result.content)
            results.append(result)
        messages.append(ToolResults(tuple(results)))
        if budget.exhausted:
            transcript.write("budget", task, reason=budget.exhausted)
            return Ending.BUDGET
    return Ending.TURN_LIMIT
