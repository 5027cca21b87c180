"""The one interface between the agent loop and a model.

``agent/llm.py`` implements it with litellm; ``agent/replay.py`` records and replays it. The
request carries no key: keys live in the client, so a request can be hashed and recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from jupyter_plan.models import ModelResponse

OnText = Callable[[str], None]


class ModelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = Field(default_factory=list)
    api_base: str | None = None

    def fingerprint(self) -> str:
        """A stable hash of what the model is asked (for replay and drift detection)."""
        body = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()


class ModelError(RuntimeError):
    """The model could not answer: after retries, or with a response we cannot use.

    ``kind`` is one of: rate_limit, server, timeout, auth, bad_request, bad_response,
    connection, no_tools (the model cannot call tools). ``attempts`` counts the tries made.
    The message's first line is one sentence saying what happened; ``details`` (also the
    rest of the message) is the provider's own text. Neither holds a credential.
    """

    def __init__(self, message: str, *, kind: str, attempts: int = 1, details: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.attempts = attempts
        self.details = details

    @property
    def sentence(self) -> str:
        """What happened, in one line."""
        return str(self).partition("\n")[0]


class ModelClient(Protocol):
    async def complete(
        self, request: ModelRequest, *, on_text: OnText | None = None
    ) -> ModelResponse:
        """One model turn. Streams text deltas to ``on_text``; raises :class:`ModelError`."""
        ...
