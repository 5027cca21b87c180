"""What went wrong with a model call, in one sentence, with the provider's own text behind it.

litellm raises one of a few dozen exception types whose text runs to hundreds of characters
(its own prefix, the SDK's, the provider's body, "Original exception: …" again). A person
needs one sentence: who failed (the server at which URL, or the provider), what happened
(refused the key, cut the stream, sent a web page …) and what to do. The raw text stays
available as the error's ``details``. Every credential in use is removed from both.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass

from jupyter_plan.agent.client import ModelError
from jupyter_plan.redaction import credential_values, redact_with, secret_values

RETRYABLE = frozenset({"rate_limit", "server", "timeout", "connection"})
# Exception class names met in litellm's chains (litellm, openai, httpx and aiohttp types).
_TIMEOUTS = frozenset({"Timeout", "APITimeoutError", "ReadTimeout", "ConnectTimeout"})
_CONNECTION_ERRORS = frozenset({"APIConnectionError", "ConnectError", "ClientConnectorError"})
_STATUS_KINDS = {429: "rate_limit", 408: "timeout", 401: "auth", 403: "auth"}
_DETAIL_CHARS = 2000
_CUT = re.compile(
    r"(?i)payload is not completed|peer closed connection|incomplete ?read|"
    r"connection (?:was )?(?:reset|closed)|transfer length|incomplete chunked"
)
_MISSING_KEY = re.compile(
    r"(?i)missing credentials|missing \w+ api key|api_key client option must be set|"
    r"no (?:api )?key is set|api key (?:is )?(?:required|missing|not set)"
)
_NO_TOOLS = re.compile(
    r"(?i)(?:does not|doesn't) support tools|tools? (?:use |calling )?(?:is |are )?not supported|"
    r"(?:does not|doesn't) support (?:function|tool) call|tool_choice.*not supported|"
    r"unknown (?:field|parameter).{0,20}tools"
)
_NO_PROVIDER = re.compile(r"LLM Provider NOT provided")


@dataclass(frozen=True)
class Failure:
    """One failed attempt: ``kind`` (see :class:`ModelError`), the raw ``detail``, and what
    it was: ``cause`` (cut, html, bad_stream, empty, missing_key, no_provider …)."""

    kind: str
    detail: str
    retry_after: float | None = None
    cause: str = ""
    status: int | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


class BadResponse(Exception):
    """The server answered, but with nothing we can use; ``cause`` says how."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


def classify(exc: BaseException, timeout: float) -> Failure:
    """The kind of failure an exception from litellm (or our own checks) stands for."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, BadResponse):
        return Failure("bad_response", str(exc), cause=exc.cause)
    chain = causes(exc)
    names = {type(e).__name__ for e in chain}
    text = " ".join(str(e) for e in chain)
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    if _MISSING_KEY.search(text):  # litellm calls it a 500 or a 401: either way, set a key
        return Failure("auth", detail, cause="missing_key")
    if _NO_PROVIDER.search(text):
        return Failure("bad_request", detail, cause="no_provider")
    if _NO_TOOLS.search(text):
        return Failure("no_tools", detail, status=status)
    if isinstance(exc, TimeoutError) and not str(exc):  # our idle deadline
        return Failure("timeout", f"no data from the model for {timeout:g}s")
    if any(isinstance(e, TimeoutError) for e in chain) or names & _TIMEOUTS:
        return Failure("timeout", detail)
    if any(isinstance(e, json.JSONDecodeError) for e in chain):  # before "connection":
        return Failure("bad_response", detail, cause="bad_stream")  # litellm wraps bad SSE so
    if _CUT.search(text):
        return Failure("connection", detail, cause="cut")
    if names & _CONNECTION_ERRORS or any(isinstance(e, ConnectionError) for e in chain):
        root = next((e for e in reversed(chain) if str(e)), exc)
        if str(root) not in detail:  # litellm says "Connection error." and hides why
            detail += f" (cause: {type(root).__name__}: {root})"
        return Failure("connection", detail, cause="refused" if "refused" in text else "")
    if status is None:
        return Failure("bad_request", detail)  # not an HTTP answer; retrying won't help
    kind = _STATUS_KINDS.get(status) or ("server" if status >= 500 else "bad_request")
    return Failure(kind, f"HTTP {status}: {detail}", retry_after(exc), status=status)


def model_error(
    model: str,
    where: str,
    failure: Failure,
    attempts: int,
    secrets: list[str],
    *,
    key_names: list[str] | None = None,
) -> ModelError:
    """The :class:`ModelError` a person reads: one sentence, then the details."""
    clean = secret_values([*credential_values(), *secrets])
    detail = str(redact_with(failure.detail, clean))
    if len(detail) > _DETAIL_CHARS:
        detail = detail[:_DETAIL_CHARS] + "…"
    sentence = str(redact_with(_sentence(model, where, failure, attempts, key_names), clean))
    return ModelError(f"{sentence}\n{detail}", kind=failure.kind, attempts=attempts, details=detail)


def _sentence(
    model: str, where: str, failure: Failure, attempts: int, key_names: list[str] | None
) -> str:
    tries = "" if attempts == 1 else f" after {attempts} attempts"
    status = f" (HTTP {failure.status})" if failure.status else ""
    kind, cause = failure.kind, failure.cause
    if cause == "missing_key":
        names = " or ".join(["JUPYTER_PLAN_API_KEY", *(key_names or [])][:3])
        return (
            f"No API key for model {model!r}: set {names} where JupyterLab starts (a local "
            "server that needs no key only needs api_base)."
        )
    if cause == "no_provider":
        return (
            f"{model!r} names no model provider litellm knows: write provider/model, e.g. "
            "openai/gpt-4.1-mini, anthropic/claude-sonnet-4-5 or ollama_chat/llama3.1."
        )
    if kind == "no_tools":
        return (
            f"Model {model!r} does not support tool calling (the provider refused the tools); "
            "plan mode needs a model that does."
        )
    if kind == "auth":
        return f"The provider at {where} refused the API key for model {model!r}{status}."
    if kind == "rate_limit":
        return f"The provider at {where} is limiting requests to model {model!r}{tries}."
    if kind == "timeout":
        return f"Model {model!r} at {where} sent nothing in time{tries}."
    if kind == "connection" and cause == "cut":
        return f"The connection to {where} closed in the middle of the model's answer{tries}."
    if kind == "connection":
        return f"Cannot reach the model server at {where} for model {model!r}{tries}."
    if kind == "server":
        return f"The model server at {where} failed{status} for model {model!r}{tries}."
    if cause == "html":
        return (
            f"The server at {where} answered with a web page, not the model's answer: "
            "api_base may point at the wrong server."
        )
    if cause == "not_a_stream":
        return (
            f"The server at {where} answered with something other than the model's streamed "
            "answer: api_base may point at the wrong server or path."
        )
    if cause == "bad_stream":
        return f"The model's stream from {where} could not be read: it was not valid JSON."
    if cause == "empty":
        return f"Model {model!r} sent an empty answer (no text and no tool call)."
    if kind == "bad_response":
        return f"The answer from {where} could not be used."
    said = _provider_message(failure.detail)
    return f"The provider at {where} refused the request to model {model!r}{status}" + (
        f": {said}" if said else "."
    )


def _provider_message(detail: str) -> str:
    """The provider's own words, without litellm's prefixes (short)."""
    text = detail.split(" Original exception:")[0]
    text = re.sub(r"^(?:HTTP \d+: )?(?:\w+: )*(?:litellm\.\w+: )*(?:\w+Exception - )?", "", text)
    for pattern in (r'"message":\s*"([^"]+)"', r"'message':\s*'([^']+)'"):
        if found := re.search(pattern, text):
            text = found.group(1)
            break
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:159] + "…"


def causes(exc: BaseException) -> list[BaseException]:
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


def retry_after(exc: BaseException) -> float | None:
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


_USERINFO = re.compile(r"(?<=://)[^/@]+@")


def safe_url(url: str) -> str:
    """The URL without any user:password@ part (and no credential in its query)."""
    return str(redact_with(_USERINFO.sub("***@", url), credential_values()))
