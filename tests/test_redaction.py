"""Which values are credentials in use, and streamed text passed on without them."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from jupyter_plan.redaction import (
    REDACTED,
    RedactingLogFilter,
    StreamRedactor,
    credential_values,
    is_credential_env,
    remember,
    scrub,
    url_credentials,
)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("OPENAI_API_KEY", True),
        ("AZURE_AD_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_BEARER_TOKEN_BEDROCK", True),
        ("WATSONX_APIKEY", True),
        ("CIRCLE_OIDC_TOKEN_V2", True),
        ("JUPYTER_PLAN_API_KEY", True),
        ("DEFAULT_MAX_TOKENS", False),
        ("TOKENIZERS_PARALLELISM", False),
        ("SSH_AUTH_SOCK", False),
        ("OPENAI_API_BASE", False),
    ],
)
def test_credential_variable_names(name: str, secret: bool) -> None:
    assert is_credential_env(name) is secret


def test_credentials_in_urls() -> None:
    assert url_credentials("https://me:pa55word-xyz@host/v1?key=AIzaQ&api-version=1") == [
        "pa55word-xyz",
        "AIzaQ",
    ]
    assert url_credentials("http://localhost:11434") == []


def test_values_from_the_environment_urls_and_remembered(tmp_path: object) -> None:
    env = {
        "COHERE_API_KEY": "cohere-0123456789",
        "OLLAMA_API_BASE": "http://u:url-pass-0123@127.0.0.1:1",
        "SOME_TOKEN": "short",  # too short to replace by value
        "GOOGLE_APPLICATION_CREDENTIALS": "/",  # a path names a file: no secret
        "HOME": "/root",
    }
    remember(SecretStr("remembered-key-0123"), "https://h/v1?key=query-key-0123")
    found = credential_values(env)
    assert {"cohere-0123456789", "url-pass-0123", "remembered-key-0123", "query-key-0123"} <= set(
        found
    )
    assert "short" not in found and "/" not in found and "/root" not in found
    assert found == sorted(found, key=len, reverse=True)


def test_a_secret_split_across_chunks_never_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "split-secret-0123456789"
    got: list[str] = []
    stream = StreamRedactor([secret], got.append)
    for piece in ["The key ", "is spl", "it-secret-01", "23456789 and ", "split is a word."]:
        stream.feed(piece)
    stream.flush()
    assert "".join(got) == f"The key is {REDACTED} and split is a word."
    assert got[0] == "The key "  # text that cannot start the secret is not held back
    assert stream.sent and scrub(f"a {secret}", [secret]) == f"a {REDACTED}"


def test_log_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAI_API_KEY", "xai-planted-0123456789")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "key %s", ("xai-planted-0123456789",), None
    )
    assert RedactingLogFilter().filter(record) and record.getMessage() == f"key {REDACTED}"
