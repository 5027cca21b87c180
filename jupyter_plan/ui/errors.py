"""A failed run, said once where the person looks: what happened, what to do, and details.

The card shows :attr:`ErrorView.message` and :attr:`ErrorView.fix`; the raw text (a
provider's exception chain, a drift report) goes behind a "Details" disclosure. The fix
names JupyterLab's terms: which variable or settings file, and whether JupyterLab must be
restarted (a kernel reads its environment once, when it starts). Secrets are redacted from
everything shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from jupyter_plan.redaction import is_secret_name, redact

RESTART = (
    "Environment variables reach a kernel only when JupyterLab starts: after setting one, "
    "restart JupyterLab, then Retry."
)
SETTINGS = ".jupyter_plan/settings.json"

#: ModelError kinds (agent/client.py) → (what happened, what to do).
MODEL_FAULTS = {
    "auth": (
        "The model provider refused the API key.",
        "Set JUPYTER_PLAN_API_KEY (or the provider's own variable, such as OPENAI_API_KEY) "
        f"in the environment JupyterLab starts from. {RESTART}",
    ),
    "rate_limit": ("The model provider is limiting requests.", "Wait a minute, then Retry."),
    "server": ("The model server failed to answer.", "Retry later, or check the server."),
    "timeout": (
        "The model did not answer in time.",
        "Retry; a slow local model may need a larger timeout in its settings.",
    ),
    "connection": (
        "The model server cannot be reached.",
        f"Check api_base (JUPYTER_PLAN_API_BASE, or {SETTINGS}) and that the server is "
        "running, then Retry.",
    ),
    "bad_request": (
        "The model refused the request.",
        "Check the model name (any litellm model string) and that the model supports tool calling.",
    ),
    "bad_response": (
        "The model's answer could not be used.",
        "Retry; if it happens again, try another model.",
    ),
}
NO_MODEL_FIX = (
    f'Put "model": "<a litellm model string>" in {SETTINGS} (read at the next run), or pass '
    f"--model to %%plan, or set JUPYTER_PLAN_MODEL. {RESTART}"
)


@dataclass(frozen=True)
class ErrorView:
    message: str
    fix: str = ""
    details: str = ""


def describe(error: BaseException) -> ErrorView:
    """One message, its fix and its details for ``error`` (secrets redacted)."""
    text = _redacted(str(error).strip() or type(error).__name__)
    head, _, rest = text.partition("\n")
    kind = getattr(error, "kind", None)
    name = type(error).__name__
    if name == "ModelError" and kind in MODEL_FAULTS:
        message, fix = MODEL_FAULTS[kind]
        return ErrorView(message, fix, text)
    if name == "RunSetupError" and head.startswith("no model is configured"):
        return ErrorView("No model is configured.", NO_MODEL_FIX, text)
    if name == "ReplayDrift":  # the diff behind Details, its "-"/"+" lines as they are
        return ErrorView(
            head, _redacted(getattr(error, "fix", "")), _redacted(getattr(error, "diff", ""))
        )
    if name == "SettingsError":
        return ErrorView(head, f"Fix the file named above, then Retry ({SETTINGS}).", rest)
    details = "\n".join(filter(None, [rest.strip(), _chain(error)]))
    return ErrorView(head if len(head) <= 300 else head[:299] + "…", "", details)


def _chain(error: BaseException) -> str:
    """``Type: message`` of each cause, outermost first (what a traceback would repeat)."""
    lines, seen = [], {id(error)}
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        lines.append(_redacted(f"caused by {type(cause).__name__}: {cause}"))
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    return "\n".join(lines)


def _redacted(text: str) -> str:
    """``text`` without the value of any key-like variable of this process."""
    secrets = [v for k, v in os.environ.items() if is_secret_name(k) and len(v) >= 8]
    return str(redact(text, secrets))
