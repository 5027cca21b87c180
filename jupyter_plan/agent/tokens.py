"""Counting tokens: litellm's tokenizer where it ships one for the model, else chars/4.

Kept apart from the outline so the loop and the outline share one counter, and so litellm is
imported only when a counter for a real model is asked for (once per plan)."""

from __future__ import annotations

import os
from collections.abc import Callable

TokenCounter = Callable[[str], int]
_HUB_TOKENIZERS = ("llama-2", "llama-3", "replicate", "command-r")  # litellm downloads these


def estimate_tokens(text: str) -> int:
    """chars/4 rounded up: the usual rule of thumb for BPE tokenizers on English and code.

    Used to pick cells, and as the counter when litellm has no tokenizer for the model.
    """
    return (len(text) + 3) // 4


def token_counter(model: str | None) -> TokenCounter:
    """A counter for ``model``: litellm's tokenizer where it has one, else the chars/4 estimate.

    litellm "has one" when the model is in its model map and its tokenizer ships with litellm
    (tiktoken encodings, Anthropic's); models whose tokenizer litellm would fetch from the
    Hugging Face hub get the estimate, so counting never touches the network. Imports litellm
    (seconds, once per process): call it once per plan, never at import time.
    """
    if not model:
        return estimate_tokens
    # As agent/llm.py does: set before the first import, else it downloads its model map.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
    try:
        import litellm
    except ImportError:
        return estimate_tokens
    known = model in litellm.model_cost or model.split("/", 1)[-1] in litellm.model_cost
    downloads = any(name in model.lower() for name in _HUB_TOKENIZERS)
    if not known or (
        downloads and getattr(litellm, "disable_hf_tokenizer_download", None) is not True
    ):
        return estimate_tokens

    def count(text: str) -> int:
        try:
            return int(litellm.token_counter(model=model, text=text))
        except Exception:  # a tokenizer failure must not stop a plan
            return estimate_tokens(text)

    count("warm up")  # load the encoding now, not in the middle of a build
    return count
