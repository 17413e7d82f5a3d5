"""Posting JSON to a provider over httpx: retries on overload, errors translated at the boundary.

The API key travels only in the headers built here and is never part of an error message: httpx
exceptions are reduced to their type and the URL, and an error body is quoted only after the key
has been replaced.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

import httpx

from firstpatch.agent.interface import JsonObject, ProviderError

# 429: rate limited; 500/502/503/504: transient server trouble; 529: Anthropic's "overloaded".
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
MAX_RETRY_WAIT = 30.0
MAX_ERROR_TEXT = 300


class JsonPoster:
    """One httpx client per provider; `transport` lets tests and embedders choose the transport."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        secret: str | None,
        timeout: float,
        retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url, headers=dict(headers), timeout=timeout, transport=transport
        )
        self._secret = secret
        self._retries = retries
        self._sleep = sleep

    def post(self, path: str, body: JsonObject) -> JsonObject:
        url = str(self._client.base_url).rstrip("/") + "/" + path.lstrip("/")
        for attempt in range(self._retries + 1):
            try:
                response = self._client.post(url, json=body)
            except httpx.HTTPError as exc:
                # The message of some httpx errors repeats the request; only the type is safe.
                raise ProviderError(
                    f"{url}: {type(exc).__name__}: the provider could not be reached"
                ) from exc
            if response.status_code in RETRIED_STATUSES and attempt < self._retries:
                self._sleep(_wait(response, attempt))
                continue
            return self._decode(url, response)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _decode(self, url: str, response: httpx.Response) -> JsonObject:
        if response.status_code >= 400:
            raise ProviderError(f"{url}: HTTP {response.status_code}: {self._describe(response)}")
        try:
            value = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProviderError(f"{url}: the reply is not JSON: {self._clean(response.text)}") from exc
        if not isinstance(value, dict):
            raise ProviderError(f"{url}: the reply is not a JSON object")
        return value

    def _describe(self, response: httpx.Response) -> str:
        """The API's own error message when it sent one in either documented shape."""
        try:
            value = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._clean(response.text) or response.reason_phrase
        error = value.get("error") if isinstance(value, dict) else None
        if isinstance(error, dict):
            kind, message = error.get("type"), error.get("message")
            return self._clean(f"{kind}: {message}" if kind else str(message))
        return self._clean(json.dumps(value)[:MAX_ERROR_TEXT])

    def _clean(self, text: str) -> str:
        text = text.strip().replace("\n", " ")[:MAX_ERROR_TEXT]
        return text.replace(self._secret, "[api key]") if self._secret else text

    def close(self) -> None:
        self._client.close()


def _wait(response: httpx.Response, attempt: int) -> float:
    """The server's retry-after when it gives one in seconds, else exponential backoff."""
    header = response.headers.get("retry-after", "")
    try:
        return min(MAX_RETRY_WAIT, max(0.0, float(header)))
    except ValueError:
        return min(MAX_RETRY_WAIT, 2.0**attempt)
