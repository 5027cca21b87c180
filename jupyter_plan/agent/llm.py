"""The model layer: one streamed model turn through litellm, with retries, timeouts and usage.

This is the only module that imports litellm, and only at the first call (the import takes
seconds and must not slow ``%load_ext``). The API key lives in the client, never in a request,
a repr, a log record or an error message; and no credential in use (see
``redaction.credential_values``) passes from the model's answer to the agent: a model that
learned a key cannot put it in a plan, a file name, a question or a cell.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import warnings
from typing import TYPE_CHECKING, Any, Self

from pydantic import SecretStr

from jupyter_plan.agent.client import ModelError, ModelRequest, OnText
from jupyter_plan.agent.provider_errors import (
    RETRYABLE,
    BadResponse,
    Failure,
    classify,
    model_error,
    safe_url,
)
from jupyter_plan.agent.providers import (
    PLACEHOLDER_KEY,
    check_route,
    missing_key_names,
    needs_placeholder_key,
    pricing_model,
)
from jupyter_plan.models import ModelResponse, ToolCall, Usage
from jupyter_plan.redaction import (
    RedactingLogFilter,
    StreamRedactor,
    credential_values,
    redact_with,
    remember,
    secret_values,
)

if TYPE_CHECKING:
    from jupyter_plan.settings import Settings

__all__ = ["RETRYABLE", "LiteLLMClient"]

log = logging.getLogger(__name__)

_STREAM_TYPES = ("text/event-stream", "application/x-ndjson", "application/json")
_litellm_module: Any = None
_unpriced_models: set[str] = set()  # models litellm has no price for: skip the lookup
_serializer_filter: str | None = None


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
        for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "openai", "httpx"):
            logging.getLogger(name).addFilter(RedactingLogFilter())
        _litellm_module = litellm
    return _litellm_module


def _hide_serializer_warnings() -> None:
    """litellm's Responses-API types make pydantic warn at every event; the warning would be
    printed into the cell. Only warnings about litellm's own types are hidden; the filter is
    put first again at every call (a ``catch_warnings`` block around us drops or shadows it)."""
    global _serializer_filter
    if _serializer_filter is None:
        import inspect

        import litellm.types.llms.openai as types
        from pydantic import BaseModel

        names = sorted(
            n for n, v in vars(types).items() if inspect.isclass(v) and issubclass(v, BaseModel)
        )
        expected = "|".join(re.escape(n) for n in names) or "(?!)"
        _serializer_filter = (
            r"Pydantic serializer warnings:\s+PydanticSerializationUnexpectedValue\("
            rf"Expected `(?:{expected})`"
        )
    first = warnings.filters[0] if warnings.filters else None
    if first is None or getattr(first[1], "pattern", None) != _serializer_filter:
        warnings.filterwarnings("ignore", message=_serializer_filter, category=UserWarning)


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
    A local OpenAI-compatible server needs no key: with an ``api_base`` and no key anywhere, a
    placeholder is sent (see ``providers.py``).
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
        remember(self._api_key, api_base)  # every writer now keeps them out of files
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
        _hide_serializer_warnings()
        api_base = request.api_base or self.api_base
        if api_base:
            remember(api_base)
        if (refused := check_route(litellm, request.model, api_base)) is not None:
            raise self._error(litellm, request, api_base, classify(refused, self.timeout), 1)
        key = self._key()
        if key is None and needs_placeholder_key(litellm, request.model, api_base, key):
            key = PLACEHOLDER_KEY  # a local server that needs no key: the SDK insists on one
        secrets = secret_values([*credential_values(), key])
        attempt = 0
        while True:
            attempt += 1
            scrubber = StreamRedactor(secrets, _guarded(on_text)) if on_text else None
            try:
                return await self._attempt(litellm, request, api_base, key, scrubber, secrets)
            except _OnTextFailed as exc:
                raise exc.error from None
            except Exception as exc:  # CancelledError is not an Exception: it propagates
                failure = classify(exc, self.timeout)
            last = attempt > self.max_retries or (scrubber is not None and scrubber.sent)
            if not failure.retryable or last:
                raise self._error(litellm, request, api_base, failure, attempt)
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

    def _key(self) -> str | None:
        return self._api_key.get_secret_value() if self._api_key is not None else None

    # one attempt ------------------------------------------------------------------------

    async def _attempt(
        self,
        litellm: Any,
        request: ModelRequest,
        api_base: str | None,
        key: str | None,
        scrubber: StreamRedactor | None,
        secrets: list[str],
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
        if key is not None:
            kwargs["api_key"] = key

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
                        if scrubber is not None:
                            scrubber.feed(delta.content)
                    for call in delta.tool_calls or ():
                        _merge_tool_delta(calls, call)
        finally:
            if stream is not None:
                await stream.aclose()  # also on cancellation: closes the HTTP stream
        if scrubber is not None:
            scrubber.flush()

        content = str(redact_with("".join(text), secrets))
        tool_calls = [
            ToolCall(id=cid or f"call_{i}", name=name, arguments=redact_with(args, secrets))
            for i, (cid, name, args) in sorted(calls.items())
        ]
        if not content and not tool_calls and finish_reason in (None, "stop"):
            raise _empty(stream)
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
        if not prompt and not completion:  # no usage sent, or all zeros: count
            out = content + "".join(c.name + c.arguments for c in tool_calls)
            prompt = _count(litellm, request.model, messages=request.messages)
            completion = _count(litellm, request.model, text=out) if out else 0
        reported_cost = getattr(reported, "cost", None)
        return Usage(
            prompt_tokens=prompt or 0,
            completion_tokens=completion or 0,
            cost_usd=_cost(litellm, request.model, prompt or 0, completion or 0, reported_cost),
        )

    # failures ---------------------------------------------------------------------------

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        wait = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        if retry_after is not None:
            wait = min(self.retry_after_cap, max(wait, retry_after))
        return wait

    def _error(
        self,
        litellm: Any,
        request: ModelRequest,
        api_base: str | None,
        failure: Failure,
        attempts: int,
    ) -> ModelError:
        where = safe_url(api_base) if api_base else "the provider's default endpoint"
        names = missing_key_names(litellm, request.model) if failure.cause == "missing_key" else []
        secrets = [self._key() or ""]
        return model_error(request.model, where, failure, attempts, secrets, key_names=names)


# -- helpers ---------------------------------------------------------------------------


def _guarded(on_text: OnText) -> OnText:
    """``on_text`` whose failures pass through untouched (see :class:`_OnTextFailed`)."""

    def emit(text: str) -> None:
        try:
            on_text(text)
        except Exception as exc:
            raise _OnTextFailed(exc) from exc

    return emit


def _empty(stream: Any) -> BadResponse:
    """Why an answer with nothing in it came back (a web page, a non-stream, nothing)."""
    headers = getattr(stream, "_response_headers", None) or {}
    kind = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    if kind == "text/html":
        return BadResponse(f"a text/html page instead of the model's answer ({kind})", "html")
    if kind and kind not in _STREAM_TYPES:
        return BadResponse(f"a {kind} body instead of the model's stream", "not_a_stream")
    if kind == "application/json":  # a JSON body where events were due: no answer in it
        return BadResponse("an application/json body with no answer in it", "not_a_stream")
    return BadResponse(f"an empty response (no text, no tool calls; {kind or 'no type'})", "empty")


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


def _count(litellm: Any, model: str, **what: Any) -> int:
    try:
        return int(litellm.token_counter(model=model, **what))
    except Exception:
        return 0


def _cost(
    litellm: Any, model: str, prompt: int, completion: int, reported: object = None
) -> float | None:
    """The turn's price in USD, or None when litellm does not know it (it says 0 then)."""
    if isinstance(reported, int | float) and reported > 0:
        return float(reported)  # litellm priced it itself (the Responses route does)
    name = pricing_model(model)
    if name in _unpriced_models:
        return None
    try:
        info = litellm.get_model_info(model=name)
        if not (info.get("input_cost_per_token") or info.get("output_cost_per_token")):
            raise LookupError(name)  # listed without a price: unknown, not free
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=name, prompt_tokens=prompt, completion_tokens=completion
        )
    except Exception:  # litellm knows no price for this model
        _unpriced_models.add(name)
        return None
    return float(prompt_cost) + float(completion_cost)
