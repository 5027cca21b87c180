"""A real LiteLLM proxy (``litellm --config``) on 127.0.0.1, in front of the fake model server.

The team test (``tests/team``) and ``docs/teams.md`` use it as a team would: the proxy holds
the provider's key, each person gets a key of their own. Virtual keys from ``/key/generate``
need the proxy's Postgres database; without one, per-user keys are *config-defined*: litellm's
documented ``custom_auth`` hook checks each request's key against a file of SHA-256 digests
(key -> user), so the proxy's folder never holds a key itself. ::

    proxy = start_llm_proxy(base, upstream=fake.base_url, users={"alice": key_a})
    try:
        ...  # kernels call model "litellm_proxy/team-model" at proxy.url with their key
    finally:
        stop_process(proxy.proc)

``litellm[proxy]`` lives in its own venv (``./scripts/setup`` makes ``.venv/proxy``) so its
pins never touch the main venv's; :func:`proxy_command` finds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jupyter_plan.testing.lab_server import free_port, stop_process

__all__ = [
    "PROXY_AUTH_MODULE",
    "PROXY_ENV",
    "PROXY_MODEL",
    "LLMProxy",
    "new_key",
    "proxy_command",
    "proxy_config",
    "start_llm_proxy",
    "stop_process",
]

#: The model name the proxy serves; a kernel asks for ``litellm_proxy/<this>``.
PROXY_MODEL = "team-model"
#: Where to find the proxy's ``litellm`` command, if not in ``<venv>/proxy/bin``.
PROXY_ENV = "JUPYTER_PLAN_LITELLM_PROXY"
READY_TIMEOUT = 120.0  # seconds: importing litellm's proxy takes 5-10 s on 2 busy cores

#: litellm's ``custom_auth`` hook: a request's bearer key -> the user it was issued to.
PROXY_AUTH_MODULE = '''\
"""Per-user keys for the team's LiteLLM proxy, without a database (general_settings.custom_auth).

team_keys.json, beside this file, maps the SHA-256 of each issued key to its user: the
proxy's folder never holds a key. Issue a key: add its digest; revoke it: remove the line.
"""

import hashlib
import json
from pathlib import Path

from fastapi import HTTPException, Request
from litellm.proxy._types import UserAPIKeyAuth

_KEYS = json.loads((Path(__file__).parent / "team_keys.json").read_text())


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    user = _KEYS.get(hashlib.sha256(api_key.encode()).hexdigest())
    if user is None:
        raise HTTPException(status_code=401, detail="unknown key")
    return UserAPIKeyAuth(api_key=api_key, user_id=user)
'''


def new_key(user: str) -> str:
    """A fresh key for ``user`` (``sk-`` prefix, as litellm's virtual keys)."""
    return f"sk-{user}-{secrets.token_hex(16)}"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def proxy_command() -> Path | None:
    """The proxy venv's ``litellm`` (``$JUPYTER_PLAN_LITELLM_PROXY``, else ``<venv>/proxy``),
    or None when it is not installed."""
    explicit = os.environ.get(PROXY_ENV)
    candidates = [Path(explicit)] if explicit else []
    candidates.append(Path(sys.prefix) / "proxy" / "bin" / "litellm")
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    return None


def proxy_config(upstream: str, upstream_key_env: str, master_key_env: str) -> str:
    """``config.yaml``: one model served under :data:`PROXY_MODEL`, keys read from the env."""
    return (
        "model_list:\n"
        f"  - model_name: {PROXY_MODEL}\n"
        "    litellm_params:\n"
        "      model: openai/fake\n"
        f"      api_base: {upstream}\n"
        f"      api_key: os.environ/{upstream_key_env}\n"
        "general_settings:\n"
        f"  master_key: os.environ/{master_key_env}\n"
        "  custom_auth: team_auth.user_api_key_auth\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )


@dataclass
class LLMProxy:
    """A running proxy; ``url`` (no trailing slash) is the ``api_base`` kernels use."""

    url: str
    folder: Path
    log_path: Path
    proc: subprocess.Popen[bytes]
    upstream_key: str  # what the proxy sends the provider: never a user's key

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_llm_proxy(
    base: Path, *, upstream: str, users: Mapping[str, str], command: Path | None = None
) -> LLMProxy:
    """Write ``base/llm-proxy/{config.yaml,team_auth.py,team_keys.json}`` and start
    ``litellm --config`` on a free port, in front of ``upstream`` (an OpenAI-compatible
    ``api_base``); ``users`` maps each user to their key. Waits for ``/health/liveliness``."""
    command = command or proxy_command()
    if command is None:
        raise RuntimeError(
            f"litellm[proxy] is not installed (run ./scripts/setup or set {PROXY_ENV})"
        )
    folder = base / "llm-proxy"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(proxy_config(upstream, "UPSTREAM_KEY", "MASTER_KEY"))
    (folder / "team_auth.py").write_text(PROXY_AUTH_MODULE)
    keys = {digest(key): user for user, key in users.items()}
    (folder / "team_keys.json").write_text(json.dumps(keys, indent=1))
    upstream_key = new_key("upstream")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_PLAN_", "OPENAI"))}
    env.update(
        UPSTREAM_KEY=upstream_key,
        MASTER_KEY=new_key("master"),
        LITELLM_LOCAL_MODEL_COST_MAP="True",  # no price-map download
        LITELLM_MODE="PRODUCTION",  # no .env loading
        PYTHONUNBUFFERED="1",
    )
    port = free_port()
    log_path = folder / "proxy.log"
    argv = [str(command), "--config", "config.yaml", "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            argv,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop_process stops it all
        )
    proxy = LLMProxy(f"http://127.0.0.1:{port}", folder, log_path, proc, upstream_key)
    try:
        _wait_ready(proxy)
    except BaseException:
        stop_process(proc)
        raise
    return proxy


def _wait_ready(proxy: LLMProxy) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proxy.proc.poll() is not None:
            raise RuntimeError(
                f"litellm proxy exited with {proxy.proc.returncode}:\n{proxy.log_tail()}"
            )
        try:
            with urllib.request.urlopen(proxy.url + "/health/liveliness", timeout=2) as resp:
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as exc:
            last = repr(exc)
            time.sleep(0.25)  # connection refused returns at once: pace the next poll
    raise RuntimeError(
        f"litellm proxy not ready in {READY_TIMEOUT:.0f} s ({last}):\n{proxy.log_tail()}"
    )
