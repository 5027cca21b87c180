"""Find secrets in JSON-like values and replace them with ``[REDACTED]``.

A transcript (see ``record/transcript.py``) is a file people keep, diff and share, so no secret may
reach it: fields named like keys or auth headers, values shaped like provider keys, bearer
tokens, passwords in URLs, and every secret the caller names are replaced. This lives apart
from the transcript format because it is a policy of its own, with its own patterns and their
false-positive trade-offs, and because recording and replaying (``agent/replay.py``) redact too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretStr

REDACTED = "[REDACTED]"

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
