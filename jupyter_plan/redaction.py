"""Find secrets in JSON-like values and replace them with ``[REDACTED]``.

A transcript (see ``record/transcript.py``) is a file people keep, diff and share, so no secret may
reach it: fields named like keys or auth headers, values shaped like provider keys, bearer
tokens, passwords in URLs, and every secret the caller names are replaced. This lives apart
from the transcript format because it is a policy of its own, with its own patterns and their
false-positive trade-offs, and because recording and replaying (``agent/replay.py``) redact too.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import SecretStr

REDACTED = "[REDACTED]"
#: Shorter values are not replaced by value (a 4-letter "key" would blank common words).
MIN_CREDENTIAL_CHARS = 8

_SECRET_NAME = re.compile(
    r"(?:^|_)(?:api_?key|secret|secret_key|client_secret|password|passwd|token|access_token|"
    r"refresh_token|id_token|auth_token|api_token|bearer|authorization|proxy_authorization|"
    r"auth|cookie|set_cookie|session_id|private_key|credentials?)$"
)
# Shapes of provider keys, so a key that slipped into text is caught without being named. Kept
# narrow (a prefix, a long random run with a digit): a false positive in a recorded response
# would make the replay differ from the live run.
_SECRET_VALUE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9_-]*[0-9])(?:sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}"
    r"|gsk_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})"
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+(?=[A-Za-z0-9._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{16,}")
_URL_USER = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@")


def is_secret_name(name: str) -> bool:
    """``api_key``, ``Authorization``, ``x-api-key``, ``OPENAI_API_KEY`` … (not ``max_tokens``)."""
    return bool(_SECRET_NAME.search(re.sub(r"[-\s]", "_", name.lower())))


def secret_values(secrets: Iterable[str | SecretStr | None]) -> list[str]:
    """The distinct non-empty secrets as plain strings, longest first (for :func:`redact_with`)."""
    values = {s.get_secret_value() if isinstance(s, SecretStr) else s for s in secrets}
    return sorted((v for v in values if v), key=len, reverse=True)  # longest first


def redact(value: Any, secrets: Iterable[str | SecretStr | None] = ()) -> Any:
    """A copy of a JSON-like value with every secret replaced by ``[REDACTED]``."""
    return redact_with(value, secret_values(secrets))


def redact_with(value: Any, secrets: list[str]) -> Any:
    """:func:`redact` with ``secrets`` already prepared by :func:`secret_values`."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        value = _SECRET_VALUE.sub(REDACTED, value)
        value = _BEARER.sub(rf"\1 {REDACTED}", value)
        return _URL_USER.sub(f"{REDACTED}@", value)
    if isinstance(value, Mapping):
        return {
            redact_with(str(k), secrets): REDACTED
            if is_secret_name(str(k)) and v is not None
            else redact_with(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_with(v, secrets) for v in value]
    return value


# -- credentials in use -----------------------------------------------------------------
#
# Patterns catch key-*shaped* text; these find the actual values this process may send: the
# environment variables litellm reads (every provider's ``*_API_KEY``, ``*_TOKEN``, Azure's
# and AWS's secrets ...), keys inside API base URLs, litellm's module-level keys, and what a
# client was given (:func:`remember`). Every writer replaces them (see ``record/atomic.py``).

_CREDENTIAL_ENV = re.compile(
    r"(?:^|_)(?:API_?KEY|APIKEY|ZENAPIKEY|KEY|TOKEN|SECRET|SECRET_ID|PASSWORD|PASSWD|"
    r"CREDENTIALS?|ACCESS_KEY_ID|AUTH)(?:_V\d+)?$|(?:^|_)BEARER_TOKEN(?:_|$)|_KEY_PEM$"
)
_LITELLM_ATTR = re.compile(r"(?:^|_)(?:key|token|secret)$")
_URL_PARAM = frozenset({"key", "api_key", "apikey", "api-key", "code", "sig", "signature"})
_remembered: set[str] = set()
_remembered_lock = threading.Lock()
_litellm_names: list[str] | None = None


def is_credential_env(name: str) -> bool:
    """``OPENAI_API_KEY``, ``AZURE_AD_TOKEN``, ``WATSONX_APIKEY`` … (not ``MAX_TOKENS``)."""
    return bool(_CREDENTIAL_ENV.search(name.upper()))


def url_credentials(url: str) -> list[str]:
    """The secrets inside a URL: a password, query parameters like ``?key=``."""
    try:
        parts = urlsplit(url.strip())
        found = [parts.password] if parts.password else []
        query = parse_qsl(parts.query, keep_blank_values=False)
    except ValueError:
        return []
    found += [v for k, v in query if k.lower() in _URL_PARAM or is_secret_name(k)]
    return found


def remember(*values: str | SecretStr | None) -> None:
    """Treat these values (a key, an API base URL holding one) as credentials from now on."""
    with _remembered_lock:
        for value in values:
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not plain:
                continue
            _remembered.add(plain)
            if "://" in plain:
                _remembered.update(url_credentials(plain))
                _remembered.discard(plain)  # the URL itself is no secret: its parts are


def credential_values(env: Mapping[str, str] | None = None) -> list[str]:
    """Every credential value jupyter-plan or litellm may use now, longest first."""
    env = os.environ if env is None else env
    with _remembered_lock:
        found = set(_remembered)
    for name, value in env.items():
        if is_credential_env(name) and not _is_a_path(value):
            found.add(value.strip())
        if "://" in value:
            found.update(url_credentials(value))
    found.update(_litellm_credentials())
    return secret_values(v for v in found if len(v) >= MIN_CREDENTIAL_CHARS)


def redact_credentials(value: Any, extra: Iterable[str | SecretStr | None] = ()) -> Any:
    """:func:`redact` with every credential in use (and ``extra``)."""
    return redact_with(value, secret_values([*credential_values(), *extra]))


def scrub(text: str, credentials: list[str] | None = None) -> str:
    """``text`` with every credential value replaced, and nothing else (no patterns)."""
    for secret in credential_values() if credentials is None else credentials:
        text = text.replace(secret, REDACTED)
    return text


def _is_a_path(value: str) -> bool:
    # GOOGLE_APPLICATION_CREDENTIALS and *_TOKEN_FILE-like variables name a file: not secret.
    return value.startswith(("/", "~")) and os.path.exists(os.path.expanduser(value))


def _litellm_credentials() -> list[str]:
    """``litellm.api_key``, ``litellm.openai_key`` … when a notebook set them."""
    global _litellm_names
    module = sys.modules.get("litellm")
    if module is None:
        return []
    if _litellm_names is None:
        _litellm_names = [n for n in list(vars(module)) if _LITELLM_ATTR.search(n.lower())]
    values = (getattr(module, name, None) for name in _litellm_names)
    return [v for v in values if isinstance(v, str)]


class StreamRedactor:
    """Passes streamed text on to ``emit`` with every secret in ``secrets`` replaced. Text
    that could be the start of a secret is held back until the next chunk shows whether it
    is, so a secret split across chunks is still caught. ``sent``: anything reached ``emit``."""

    def __init__(self, secrets: list[str], emit: Callable[[str], None]) -> None:
        self.secrets = secrets
        self.emit = emit
        self.buffer = ""
        self.sent = False

    def feed(self, delta: str) -> None:
        self.buffer = scrub(self.buffer + delta, self.secrets)
        cut = len(self.buffer) - self._held()
        if cut > 0:
            head, self.buffer = self.buffer[:cut], self.buffer[cut:]
            self._send(head)

    def _held(self) -> int:
        """The longest end of the buffer that begins some secret."""
        held = 0
        for secret in self.secrets:
            for size in range(min(len(secret) - 1, len(self.buffer)), held, -1):
                if self.buffer.endswith(secret[:size]):
                    held = size
                    break
        return held

    def flush(self) -> None:
        if self.buffer:
            head, self.buffer = self.buffer, ""
            self._send(head)

    def _send(self, text: str) -> None:
        self.sent = True
        self.emit(text)


class RedactingLogFilter(logging.Filter):
    """No credential in use, and nothing key-shaped, in the records of a logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = str(redact_with(message, credential_values()))
        if clean != message:
            record.msg, record.args = clean, None
        return True
