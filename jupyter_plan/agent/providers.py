"""What jupyter-plan knows about litellm's provider routes, beyond what litellm says itself.

- Local OpenAI-compatible servers (LM Studio, llama.cpp, vLLM without auth) need no key, but
  the OpenAI SDK under litellm refuses to send a request without one: given an ``api_base``
  and no key anywhere, we send a placeholder the server ignores.
- ``ollama/…`` talks to Ollama's ``/api/generate``, which has no tools: litellm asks for one
  JSON object, so a model turn carries at most one tool call. ``ollama_chat/…`` (``/api/chat``)
  carries several: it is the route to use, and the person is told.
- Prices: litellm has no price for some models and answers 0, and none for the Responses
  route's model names (``openai/responses/gpt-4.1``): the price is the model's own.
"""

from __future__ import annotations

from typing import Any

#: Sent as the key to a server reached through ``api_base`` when no key is set anywhere.
PLACEHOLDER_KEY = "no-key-needed"
#: Route prefix -> why a turn carries one tool call at most, and what to use instead.
ONE_CALL_ROUTES = {
    "ollama/": (
        "'{model}' goes through Ollama's /api/generate, which carries one tool call per "
        "model turn (the others are lost); use 'ollama_chat/{name}' (Ollama's chat API)"
    ),
}


def route_notes(model: str | None) -> list[str]:
    """Warnings about a model route, for the person (one line each)."""
    if not model:
        return []
    notes = []
    for prefix, note in ONE_CALL_ROUTES.items():
        if model.startswith(prefix):
            notes.append(note.format(model=model, name=model[len(prefix) :]))
    return notes


def pricing_model(model: str) -> str:
    """The model name litellm prices: ``openai/responses/gpt-4.1`` -> ``openai/gpt-4.1``."""
    provider, sep, rest = model.partition("/")
    if sep and rest.startswith("responses/"):
        return f"{provider}/{rest[len('responses/') :]}"
    return model


def missing_key_names(litellm: Any, model: str) -> list[str]:
    """The provider's key variables litellm looked for and did not find ([] if none is
    missing, or if litellm does not know which the provider reads)."""
    try:
        found = litellm.validate_environment(model=model)
    except Exception:
        return []
    if found.get("keys_in_environment"):
        return []
    names = [str(n) for n in found.get("missing_keys") or ()]
    return [n for n in names if n.endswith(("_KEY", "_TOKEN", "APIKEY"))]


#: litellm providers that speak OpenAI's API through the OpenAI SDK (which insists on a key).
OPENAI_COMPATIBLE = frozenset(
    {"openai", "text-completion-openai", "custom_openai", "openai_like", "hosted_vllm",
     "lm_studio", "llamafile", "litellm_proxy", "xinference"}
)  # fmt: skip


def needs_placeholder_key(litellm: Any, model: str, api_base: str | None, key: object) -> bool:
    """An OpenAI-compatible server at ``api_base``, and no key from us, the environment or
    litellm's globals: a local server that needs none (LM Studio, llama.cpp, vLLM)."""
    if not api_base or key is not None or getattr(litellm, "api_key", None):
        return False
    try:
        provider = litellm.get_llm_provider(model=model, api_base=api_base)[1]
    except Exception:
        return False
    return provider in OPENAI_COMPATIBLE and bool(missing_key_names(litellm, model))


def check_route(litellm: Any, model: str, api_base: str | None) -> Exception | None:
    """litellm's complaint about the model string before any request (an unknown provider)."""
    try:
        litellm.get_llm_provider(model=model, api_base=api_base)
    except Exception as exc:
        return exc
    return None
