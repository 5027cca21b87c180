"""The model layer: one streamed model turn through litellm, with retries, timeouts and usage.

This is the only module that imports litellm, and only at the first call (the import takes
seconds and must not slow ``%load_ext``). The API key lives in the client, never in a request,
a repr, a log record or an error message.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from pydantic import SecretStr

from jupyter_plan.agent.client import ModelError, ModelRequest, OnText
from jupyter_plan.models import ModelResponse, ToolCall, Usage

if TYPE_CHECKING:
    from jupyter_plan.settings import Settings

log = logging.getLogger(__name__)

RETRYABLE = frozenset({"rate_limit", "server", "timeout", "connection"})
# Exception class names met in litellm's chains (litellm, openai, httpx and aiohttp types).
_TIMEOUTS = frozenset({"Timeout", "APITimeoutError", "ReadTimeout", "ConnectTimeout"})
_CONNECTION_ERRORS = frozenset({"APIConnectionError", "ConnectError", "ClientConnectorError"})
_STATUS_KINDS = {429: "rate_limit", 408: "timeout", 401: "auth", 403: "auth"}
_DETAIL_CHARS = 600  # litellm error text can be long; keep messages readable
_litellm_module: Any = None
_unpriced_models: set[str] = set()  # models litellm has no price for: skip the lookup


def _litellm() -> Any:
    """Import and configure litellm once, quietly and offline."""
    global _litellm_module
    if _litellm_module is None:
        # Before the first import: no price-map download, no `.env` loading.
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
        import litellm

        litellm.suppress_debug_info = True
        litellm.turn_off_message_logging = True  # callbacks get no message bodies
        # Their debug records carry request bodies (notebook contents). Respect an explicit
        # LITELLM_LOG / OPENAI_LOG or a level the user set; otherwise keep them quiet.
        quiet = [] if "LITELLM_LOG" in os.environ else ["LiteLLM", "LiteLLM Router"]
        quiet += [] if "OPENAI_LOG" in os.environ else ["openai"]
        for name in quiet:
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.WARNING)
        _litellm_module = litellm
    return _litellm_module


@dataclass(frozen=True)
class _Failure:
    kind: str
    detail: str
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


class _BadResponse(Exception):
    """The server answered, but with nothing we can use."""


class _OnTextFailed(Exception):
    """The caller's ``on_text`` raised: re-raised as is, never retried or wrapped."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class LiteLLMClient:
    """A :class:`~jupyter_plan.agent.client.ModelClient` over ``litellm.acompletion``.

    ``timeout`` bounds the wait for the response to start and for every next chunk of the
    stream (an idle timeout, so a long answer that keeps streaming is never cut). Rate limits,
    5xx, timeouts and connection errors are retried ``max_retries`` times with exponential
    backoff (``backoff_base * 2**n`` capped at ``backoff_cap``; a Retry-After header wins, up
    to ``retry_after_cap``) — unless text already reached ``on_text``: a retry would repeat it.
    """

    def __init__(
        self,
        *,
        api_key: SecretStr | str | None = None,
        api_base: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        backoff_base: float = 1.0,
        backoff_cap: float = 20.0,
        retry_after_cap: float = 60.0,
    ) -> None:
        if timeout <= 0 or max_retries < 0 or backoff_base < 0 or backoff_cap < 0:
            raise ValueError("timeout must be > 0; retries and backoff must be >= 0")
        self._api_key = SecretStr(api_key) if isinstance(api_key, str) else api_key
        self.api_base = api_base  # used when a request names none
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap

    @classmethod
    def from_settings(cls, settings: Settings, **knobs: Any) -> Self:
        """A client with the key and api_base of resolved settings; ``knobs`` as ``__init__``."""
        return cls(api_key=settings.api_key, api_base=settings.api_base, **knobs)

    def __repr__(self) -> str:
        key = "'**********'" if self._api_key is not None else "None"
        return (
            f"LiteLLMClient(api_base={self.api_base!r}, api_key={key}, "
            f"timeout={self.timeout}, max_retries={self.max_retries})"
        )

    async def complete(
        self, request: ModelRequest, *, on_text: OnText | None = None
    ) -> ModelResponse:
        """One model turn, streamed; raises :class:`ModelError` when it cannot answer."""
        litellm = _litellm()
        api_base = request.api_base or self.api_base
        delivered = [False]  # set once text reached on_text: from then on, never retry
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(litellm, request, api_base, on_text, delivered)
            except _OnTextFailed as exc:
                raise exc.error from None
            except Exception as exc:  # CancelledError is not an Exception: it propagates
                failure = self._classify(exc)
            last = attempt > self.max_retries or delivered[0]
            if not failure.retryable or last:
                raise self._error(request, api_base, failure, attempt)
            wait = self._backoff(attempt, failure.retry_after)
            log.info(
                "model %s: %s, retrying in %.2fs (attempt %d of %d)",
                request.model,
                failure.kind,
                wait,
                attempt + 1,
                self.max_retries + 1,
            )
            await asyncio.sleep(wait)

    # one attempt ------------------------------------------------------------------------

    async def _attempt(
        self,
        litellm: Any,
        request: ModelRequest,
        api_base: str | None,
        on_text: OnText | None,
        delivered: list[bool],
    ) -> ModelResponse:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": list(request.messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": self.timeout,
            "max_retries": 0,  # the SDK below litellm retries twice by default: we retry here
            "drop_params": True,  # a provider without stream_options still answers
        }
        if request.tools:
            kwargs["tools"] = list(request.tools)
        if api_base:
            kwargs["api_base"] = api_base
        if self._api_key is not None:
            kwargs["api_key"] = self._api_key.get_secret_value()

        text: list[str] = []
        calls: dict[int, list[str]] = {}  # index -> [id, name, arguments]
        finish_reason: str | None = None
        usage: Any = None
        loop = asyncio.get_running_loop()
        stream: Any = None
        try:
            # One deadline, pushed forward at every chunk: an idle timeout for the whole turn.
            async with asyncio.timeout(self.timeout) as deadline:
                stream = await litellm.acompletion(**kwargs)
                async for chunk in stream:
                    deadline.reschedule(loop.time() + self.timeout)
                    usage = getattr(chunk, "usage", None) or usage
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    finish_reason = choice.finish_reason or finish_reason
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        if on_text is not None:
                            delivered[0] = True
                            try:
                                on_text(delta.content)
                            except Exception as exc:
                                raise _OnTextFailed(exc) from exc
                    for call in delta.tool_calls or ():
                        _merge_tool_delta(calls, call)
        finally:
            if stream is not None:
                await stream.aclose()  # also on cancellation: closes the HTTP stream

        content = "".join(text)
        tool_calls = [
            ToolCall(id=cid or f"call_{i}", name=name, arguments=args)
            for i, (cid, name, args) in sorted(calls.items())
        ]
        if not content and not tool_calls and finish_reason in (None, "stop"):
            headers = getattr(stream, "_response_headers", None) or {}
            kind = headers.get("content-type", "unknown content type")
            raise _BadResponse(f"an empty response (no text, no tool calls; {kind})")
        return ModelResponse(
            content=content,
            tool_calls=tool_calls,
            finish_reason=finish_reason,
            usage=self._usage(litellm, request, usage, content, tool_calls),
        )

    def _usage(
        self,
        litellm: Any,
        request: ModelRequest,
        reported: Any,
        content: str,
        tool_calls: list[ToolCall],
    ) -> Usage:
        prompt = getattr(reported, "prompt_tokens", None)
        completion = getattr(reported, "completion_tokens", None)
        if prompt is None or completion is None:  # the provider sent no usage: count
            out = content + "".join(c.name + c.arguments for c in tool_calls)
            prompt = _count(litellm, request.model, messages=request.messages)
            completion = _count(litellm, request.model, text=out) if out else 0
        return Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost_usd=_cost(litellm, request.model, prompt, completion),
        )

    # failures ---------------------------------------------------------------------------

    def _classify(self, exc: BaseException) -> _Failure:
        detail = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, _BadResponse):
            return _Failure("bad_response", str(exc))
        chain = _causes(exc)
        names = {type(e).__name__ for e in chain}
        if isinstance(exc, TimeoutError) and not str(exc):  # our idle deadline
            return _Failure("timeout", f"no data from the model for {self.timeout:g}s")
        if any(isinstance(e, TimeoutError) for e in chain) or names & _TIMEOUTS:
            return _Failure("timeout", detail)
        if any(isinstance(e, json.JSONDecodeError) for e in chain):  # before "connection":
            return _Failure("bad_response", detail)  # litellm wraps bad SSE data as one
        if names & _CONNECTION_ERRORS or any(isinstance(e, ConnectionError) for e in chain):
            root = next((e for e in reversed(chain) if str(e)), exc)
            if str(root) not in detail:  # litellm says "Connection error." and hides why
                detail += f" (cause: {type(root).__name__}: {root})"
            return _Failure("connection", detail)
        status = getattr(exc, "status_code", None)
        if not isinstance(status, int):
            return _Failure("bad_request", detail)  # not an HTTP answer; retrying won't help
        kind = _STATUS_KINDS.get(status) or ("server" if status >= 500 else "bad_request")
        return _Failure(kind, f"HTTP {status}: {detail}", _retry_after(exc))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        wait = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        if retry_after is not None:
            wait = min(self.retry_after_cap, max(wait, retry_after))
        return wait

    def _error(
        self, request: ModelRequest, api_base: str | None, failure: _Failure, attempts: int
    ) -> ModelError:
        where = _safe_url(api_base) if api_base else "the provider's default endpoint"
        detail = self._redact(failure.detail)
        if len(detail) > _DETAIL_CHARS:
            detail = detail[:_DETAIL_CHARS] + "…"
        tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
        message = (
            f"model {request.model!r} at {where}: {failure.kind.replace('_', ' ')} after "
            f"{tries}: {detail}"
        )
        return ModelError(message, kind=failure.kind, attempts=attempts)

    def _redact(self, text: str) -> str:
        if self._api_key is not None:
            secret = self._api_key.get_secret_value()
            if secret:
                text = text.replace(secret, "***")
        return text


# -- helpers ---------------------------------------------------------------------------


def _merge_tool_delta(calls: dict[int, list[str]], delta: Any) -> None:
    """Fold one streamed tool-call fragment in: the first carries id and name."""
    index = delta.index if isinstance(getattr(delta, "index", None), int) else None
    if index is None:  # some providers omit the index: match by id, else a new call
        index = next((i for i, c in calls.items() if delta.id and c[0] == delta.id), len(calls))
    entry = calls.setdefault(index, ["", "", ""])
    function = delta.function
    if delta.id and not entry[0]:
        entry[0] = delta.id
    if function is not None:
        if function.name and not entry[1]:
            entry[1] = function.name
        if function.arguments:
            entry[2] += function.arguments


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (litellm keeps the original in ``original_exception``)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and not any(current is s for s in seen) and len(seen) < 20:
        seen.append(current)
        inner = getattr(current, "original_exception", None)
        current = (
            inner
            if isinstance(inner, BaseException)
            else (current.__cause__ or current.__context__)
        )
    return seen


def _retry_after(exc: BaseException) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, when the error carries one."""
    for source in (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
    ):
        if not source:
            continue
        headers = {str(k).lower(): str(v) for k, v in dict(source).items()}
        try:
            if "retry-after-ms" in headers:
                return max(0.0, float(headers["retry-after-ms"]) / 1000)
            if "retry-after" in headers:
                value = headers["retry-after"]
                try:
                    return max(0.0, float(value))
                except ValueError:
                    when = email.utils.parsedate_to_datetime(value)
                    return max(0.0, when.timestamp() - time.time())
        except (ValueError, TypeError):
            continue
    return None


def _count(litellm: Any, model: str, **what: Any) -> int:
    try:
        return int(litellm.token_counter(model=model, **what))
    except Exception:
        return 0


def _cost(litellm: Any, model: str, prompt: int, completion: int) -> float | None:
    if model in _unpriced_models:
        return None
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt, completion_tokens=completion
        )
    except Exception:  # litellm knows no price for this model
        _unpriced_models.add(model)
        return None
    return float(prompt_cost) + float(completion_cost)


_USERINFO = re.compile(r"(?<=://)[^/@]+@")


def _safe_url(url: str) -> str:
    """The URL without any user:password@ part."""
    return _USERINFO.sub("***@", url)
