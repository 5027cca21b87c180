"""A real JupyterHub on 127.0.0.1 for the team test (``tests/team``) and ``docs/teams.md``.

``configurable-http-proxy`` (npm) in front, a shared-password authenticator, and
``SimpleLocalProcessSpawner`` starting ``jupyterhub-singleuser`` for each user in one shared
project folder, with a home folder each (so ``~/.jupyter_plan``, the user tier, is theirs).
The hub gives each user's server the environment jupyter-plan reads: the team's LiteLLM proxy
as ``api_base``, that user's key, the admin policy folder. ::

    hub = start_hub(base, HubSetup(users={"alice": key_a}, project=..., ...))
    try:
        token = hub.login("alice", hub.setup.password)
        server = hub.start_server("alice", token)  # ".../user/alice/"
    finally:
        hub.stop()

Everything is stopped by process id: the hub's own group (it stops the proxy and the
servers it spawned), then any server process still alive (its own session).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_plan.testing.lab_server import free_port, stop_process

__all__ = [
    "CHP_ENV",
    "HubSetup",
    "TeamHub",
    "chp_command",
    "hub_command",
    "hub_config",
    "start_hub",
]

CHP_ENV = "JUPYTER_PLAN_CHP"  # configurable-http-proxy's path, if not in the setup's cache
READY_TIMEOUT = 90.0  # seconds for the hub to answer; a single-user server gets SPAWN_TIMEOUT
SPAWN_TIMEOUT = 120
HTTP_TIMEOUT = 30.0


def chp_command() -> Path | None:
    """``configurable-http-proxy``: ``$JUPYTER_PLAN_CHP``, the set-up's npm cache folder,
    or on PATH; None when missing."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidates = [os.environ.get(CHP_ENV)]
    candidates.append(str(cache / "jupyter-plan/chp/node_modules/.bin/configurable-http-proxy"))
    candidates.append(shutil.which("configurable-http-proxy"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def hub_command() -> Path | None:
    """This venv's ``jupyterhub`` (beside ``jupyterhub-singleuser``), or None."""
    bin_dir = Path(sys.executable).parent
    if all(os.access(bin_dir / n, os.X_OK) for n in ("jupyterhub", "jupyterhub-singleuser")):
        return bin_dir / "jupyterhub"
    return None


@dataclass
class HubSetup:
    """What the hub's config says: users and their keys, the shared project, the model."""

    users: Mapping[str, str]  # user -> their LiteLLM proxy key
    project: Path  # the shared project folder every server starts in
    api_base: str  # the team's LiteLLM proxy
    admin_dir: Path  # admin policies (production: /etc/jupyter_plan/policies)
    password: str = field(default_factory=lambda: "pw-" + secrets.token_hex(8))


def hub_config(setup: HubSetup, *, chp: Path, ports: Mapping[str, int], keys_file: Path) -> str:
    """``jupyterhub_config.py``. Keys stay in ``keys_file`` (the hub's, mode 600): the
    config names it and hands each user's server only that user's key."""
    singleuser = Path(sys.executable).parent / "jupyterhub-singleuser"
    return f"""\
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {ports["public"]}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {ports["hub"]}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.ConfigurableHTTPProxy.command = [{str(chp)!r}]
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {setup.password!r}
c.Authenticator.allowed_users = {sorted(setup.users)!r}

# Each user's server: their own HOME (so ~/.jupyter_plan is theirs), the shared project.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(setup.project.parent / "home/{username}")!r}
c.Spawner.cmd = [{str(singleuser)!r}]
c.Spawner.args = ["--allow-root"]  # the test runs as root; a real hub spawns real users
c.Spawner.notebook_dir = {str(setup.project)!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.http_timeout = {SPAWN_TIMEOUT}
c.Spawner.start_timeout = {SPAWN_TIMEOUT}

# What jupyter-plan reads: the proxy, this user's key only, the admin policies.
KEYS = json.loads(Path({str(keys_file)!r}).read_text())
c.Spawner.environment = {{
    "JUPYTER_PLAN_API_BASE": {setup.api_base!r},
    "JUPYTER_PLAN_API_KEY": lambda spawner: KEYS[spawner.user.name],
    "JUPYTER_PLAN_ADMIN_DIR": {str(setup.admin_dir)!r},
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_MODE": "PRODUCTION",
}}

# The test's admin client: a service whose token comes from the hub's environment.
c.JupyterHub.services = [{{"name": "team-admin", "api_token": os.environ["TEAM_ADMIN_TOKEN"]}}]
c.JupyterHub.load_roles = [{{
    "name": "team-admin",
    "scopes": ["admin:users", "admin:servers", "admin:server_state"],
    "services": ["team-admin"],
}}]
"""


@dataclass
class TeamHub:
    """A running hub; ``url`` is the public (proxy) address, without a trailing slash."""

    url: str
    folder: Path
    log_path: Path
    proc: subprocess.Popen[bytes]
    setup: HubSetup
    admin_token: str = field(repr=False)
    server_pids: dict[str, int] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: object | None = None, token: str | None = None
    ) -> tuple[int, Any]:
        """``(status, decoded JSON or None)`` for ``url + path``; HTTP errors are returned."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"token {token}")
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def api(self, method: str, path: str, body: object | None = None, token: str = "") -> Any:
        """The hub's REST API (``/hub/api`` + path); a non-2xx answer raises, naming it."""
        status, data = self.request(method, "/hub/api" + path, body, token or self.admin_token)
        if not 200 <= status < 300:
            raise RuntimeError(f"{method} /hub/api{path}: HTTP {status}: {data}")
        return data

    def login(self, user: str, password: str) -> str:
        """A token for ``user``, asked for with their name and password (no cookie, no form)."""
        auth = {"auth": {"username": user, "password": password}, "note": "team test"}
        status, data = self.request("POST", f"/hub/api/users/{user}/tokens", auth)
        if status != 201:
            raise PermissionError(f"login of {user!r} refused: HTTP {status}")
        return str(data["token"])

    def start_server(self, user: str, token: str) -> str:
        """Spawn ``user``'s server with their own token; follow its progress stream until it
        is ready and return its URL (``<hub>/user/<name>/``)."""
        self.api("POST", f"/users/{user}/server", token=token)
        req = urllib.request.Request(f"{self.url}/hub/api/users/{user}/server/progress")
        req.add_header("Authorization", f"token {token}")
        with urllib.request.urlopen(req, timeout=SPAWN_TIMEOUT) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                if event.get("failed"):
                    raise RuntimeError(f"{user}'s server failed: {event.get('message')}")
                if event.get("ready"):
                    break
        state = self.api("GET", f"/users/{user}?include_stopped_servers=0")
        pid = (state["servers"][""].get("state") or {}).get("pid")
        if isinstance(pid, int):
            self.server_pids[user] = pid
        return f"{self.url}/user/{user}/"

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the hub (it stops the proxy and the servers), then any server left over."""
        stop_process(self.proc)
        for pid in self.server_pids.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)  # spawned with start_new_session: its own group


def start_hub(base: Path, setup: HubSetup, *, chp: Path | None = None) -> TeamHub:
    """Write ``base/hub/jupyterhub_config.py`` and the hub-only keys file, start
    ``jupyterhub`` there (its database and cookie secret stay in that folder) and wait for
    its API."""
    chp = chp or chp_command()
    hub = hub_command()
    if chp is None or hub is None:
        raise RuntimeError("jupyterhub or configurable-http-proxy is missing: run ./scripts/setup")
    folder = base / "hub"
    folder.mkdir(parents=True)
    keys_file = folder / "user_keys.json"
    fd = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(dict(setup.users), f)
    ports = {name: free_port() for name in ("public", "hub", "proxy_api")}
    config = hub_config(setup, chp=chp, ports=ports, keys_file=keys_file)
    (folder / "jupyterhub_config.py").write_text(config)
    admin_token = secrets.token_hex(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "LITELLM"))}
    env.update(TEAM_ADMIN_TOKEN=admin_token, PYTHONUNBUFFERED="1")
    log_path = folder / "jupyterhub.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(hub), "-f", "jupyterhub_config.py"],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    team = TeamHub(
        f"http://127.0.0.1:{ports['public']}", folder, log_path, proc, setup, admin_token
    )
    try:
        _wait_ready(team)
    except BaseException:
        team.stop()
        raise
    return team


def _wait_ready(hub: TeamHub) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if hub.proc.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with {hub.proc.returncode}:\n{hub.log_tail()}")
        try:
            status, _ = hub.request("GET", "/hub/api/")
            if status == 200:
                return
            last = f"HTTP {status}"
        except (urllib.error.URLError, OSError) as exc:
            last = repr(exc)
            time.sleep(0.25)  # connection refused returns at once: pace the next poll
    raise RuntimeError(f"jupyterhub not ready in {READY_TIMEOUT:.0f} s ({last}):\n{hub.log_tail()}")
