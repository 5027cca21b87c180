"""A team on JupyterHub with a LiteLLM proxy, for real (``docs/teams.md`` is written from it).

One deployment for the module: a real ``jupyterhub`` (configurable-http-proxy, a shared
password, one local server per user), a real ``litellm --config`` proxy with a key per user in
front of the fake model server, an admin policy folder, and one shared project. Alice and Bob
log in with the password, start their servers and, each in their own kernel, driven over the
kernel websocket, check the policy, plan and build at the same time in the shared project
(the fake model holds each one's first request until the other's has arrived too, so plans
and builds really overlap). The tests then read what is left on disk and what the model saw.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

from jupyter_plan.testing.fake_server import FakeModelServer, Turn, text, tool_call
from jupyter_plan.testing.hub import HubSetup, TeamHub, chp_command, hub_command, start_hub
from jupyter_plan.testing.kernel_ws import Execution, RemoteKernel
from jupyter_plan.testing.lab import write_notebook
from jupyter_plan.testing.llm_proxy import (
    PROXY_MODEL,
    LLMProxy,
    new_key,
    proxy_command,
    start_llm_proxy,
    stop_process,
)

USERS = ("alice", "bob")
ADMIN_DENY = "rm is switched off on this hub by the admins."
ADMIN_POLICY = f"""\
[[rule]]
toolName = "run_shell_command"
commandPrefix = "rm"
decision = "deny"
priority = 100
denyMessage = "{ADMIN_DENY}"
"""
# Each user's own rule tries to lift it: the highest priority, every build mode.
USER_POLICY = """\
[[rule]]
toolName = "run_shell_command"
commandPrefix = ["rm", "touch"]
decision = "allow"
priority = 999
modes = ["default", "auto_edit", "yolo"]
"""
# Both plans get the same title, so their ids share a stem and must still differ.
PLAN = """# Revenue by region

## Steps
### S1. The answer for {tag}
Compute the answer in a new cell.
Verify: answer = 42
"""
RM = '{"command": "rm -f shared.csv"}'
TOUCH = '{"command": "touch made-by-me.txt"}'


def _missing() -> str:
    parts = {
        "jupyterhub": hub_command(),
        "configurable-http-proxy (npm)": chp_command(),
        "litellm[proxy] in its own venv": proxy_command(),
    }
    return ", ".join(name for name, path in parts.items() if path is None)


pytestmark = [
    pytest.mark.team,
    pytest.mark.skipif(
        bool(_missing()), reason=f"team test parts missing ({_missing()}): run ./scripts/setup"
    ),
]


def tag(user: str) -> str:
    return f"[team:{user}]"


STEPS = ("load", "owner", "check_rm", "check_touch", "plan", "build", "list")
PLAN_MIME = "application/vnd.jupyter-plan+json"


def cells(user: str, plan_id: str = "PLAN_ID") -> dict[str, str]:
    """The user's notebook, by step. The task is the same for both (so are the plans' ids
    but for their random suffix); the owner cell tells the fake model whose it is. ``%build``
    names its plan: in a shared project a bare ``%build`` takes the newest approved plan in
    the store, which may be a colleague's."""
    nb = f"{user}.ipynb"
    sources = [
        "%load_ext jupyter_plan",
        f"owner = {tag(user)!r}",
        f"%plan policy check --mode yolo --tool run_shell_command --args '{RM}'",
        f"%plan policy check --tool run_shell_command --args '{TOUCH}'",
        f"%%plan --approve auto_edit --notebook {nb}\nCompute the answer",
        f"%build {plan_id} --yes --notebook {nb}",
        "%plan list",
    ]
    return dict(zip(STEPS, sources, strict=True))


# -- the fake model behind the proxy: one script per user, chosen by the task's tag -----


def plan_file(body: dict[str, Any]) -> str:
    system = str(body["messages"][0]["content"])
    found = re.search(r"only `([^`]+\.md)`", system)
    assert found, "the planning prompt names no plan file"
    return found[1]


def inserted_id(body: dict[str, Any]) -> str:
    last = next(m for m in reversed(body["messages"]) if m["role"] == "tool")
    return str(last["content"]).split("'")[1]


@dataclass
class TeamModel:
    """The fake server's responder: routes each request to its user's script; the first
    request of the plan and of the build waits until the other user's has arrived."""

    scripts: dict[str, list[Any]] = field(default_factory=dict)
    bodies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    overlapped: list[str] = field(default_factory=list)
    _barrier: threading.Barrier = field(default_factory=lambda: threading.Barrier(len(USERS)))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for user in USERS:
            plan, build = self.plan(user), self.build(user)
            self.scripts[user] = [self._meet("plan"), *plan, self._meet("build"), *build]
            self.bodies[user] = []

    def _meet(self, phase: str) -> Any:
        def wait(body: dict[str, Any]) -> None:
            try:
                self._barrier.wait(timeout=90)
            except threading.BrokenBarrierError:
                return None
            with self._lock:
                self.overlapped.append(phase)
            return None

        return wait

    @staticmethod
    def plan(user: str) -> list[Any]:
        document = PLAN.format(tag=tag(user))
        return [
            lambda b: tool_call("write_file", {"file_path": plan_file(b), "content": document}),
            lambda b: tool_call("exit_plan_mode", {"plan_filename": plan_file(b)}),
        ]

    @staticmethod
    def build(user: str) -> list[Any]:
        return [
            tool_call("insert_cell", {"source": "answer = 6 * 7\nanswer", "step_id": "S1"}),
            lambda b: tool_call("run_cell", {"cell_id": inserted_id(b)}),
            tool_call("run_shell_command", {"command": f"touch made-by-{user}.txt"}),
            tool_call("run_shell_command", {"command": "rm -f shared.csv"}),
            tool_call("update_step", {"step_id": "S1", "status": "done", "note": "42"}),
            text("Done."),
        ]

    def __call__(self, body: dict[str, Any]) -> Turn | None:
        first_user = next(m for m in body["messages"] if m["role"] == "user")
        owners = [u for u in USERS if tag(u) in json.dumps(first_user["content"])]
        if len(owners) != 1:
            return None  # the server answers an error: the cell fails, the test says so
        (user,) = owners
        with self._lock:
            self.bodies[user].append(body)
        while True:
            with self._lock:
                if not self.scripts[user]:
                    return None
                turn = self.scripts[user].pop(0)
            made = turn(body) if callable(turn) else turn
            if made is not None:  # None: a meeting point passed, play the next turn
                return made


# -- the deployment ---------------------------------------------------------------------


@dataclass
class Team:
    base: Path
    project: Path
    hub: TeamHub
    proxy: LLMProxy
    fake: FakeModelServer
    model: TeamModel
    keys: dict[str, str]
    tokens: dict[str, str]
    servers: dict[str, str]
    runs: dict[str, dict[str, Execution]]

    def home(self, user: str) -> Path:
        return self.project.parent / "home" / user


def _write_project(base: Path) -> tuple[Path, Path]:
    project, admin = base / "project", base / "admin-policies"
    (project / ".jupyter_plan").mkdir(parents=True)
    settings = {"version": 1, "model": f"litellm_proxy/{PROXY_MODEL}", "audit": {"enabled": True}}
    (project / ".jupyter_plan/settings.json").write_text(json.dumps(settings))
    (project / "shared.csv").write_text("region,amount\nnorth,10\n")
    admin.mkdir()
    (admin / "team.toml").write_text(ADMIN_POLICY)
    for user in USERS:
        write_notebook(project / f"{user}.ipynb", cells(user).values())
        policies = base / "home" / user / ".jupyter_plan" / "policies"
        policies.mkdir(parents=True)
        (policies / "mine.toml").write_text(USER_POLICY)
    return project, admin


def _plan_id(run: Execution) -> str:
    shown = [o["data"][PLAN_MIME]["id"] for o in run.outputs if PLAN_MIME in o.get("data", {})]
    assert shown, f"no plan shown: {run.text}"
    return str(shown[-1])


async def _work(team: Team, user: str) -> dict[str, Execution]:
    """Run the user's notebook cell by cell; ``%build`` gets the id the plan cell showed, as
    the person would type it (and save the notebook) before running it."""
    notebook = team.project / f"{user}.ipynb"
    kernel = await RemoteKernel.open(team.servers[user], team.tokens[user], notebook.name)
    results: dict[str, Execution] = {}
    try:
        for step, source in cells(user).items():
            if step == "build":
                source = cells(user, _plan_id(results["plan"]))["build"]
                nb = nbformat.read(notebook, as_version=4)
                nb.cells[STEPS.index("build")].source = source
                nbformat.write(nb, notebook)
            results[step] = result = await kernel.execute(source)
            if not result.ok:
                break
    finally:
        await kernel.close()
    return results


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    base = tmp_path_factory.mktemp("team")
    project, admin = _write_project(base)
    keys = {user: new_key(user) for user in USERS}
    model = TeamModel()
    with FakeModelServer(model) as fake:
        proxy = start_llm_proxy(base, upstream=fake.base_url, users=keys)
        hub: TeamHub | None = None
        try:
            setup = HubSetup(users=keys, project=project, api_base=proxy.url, admin_dir=admin)
            hub = start_hub(base, setup)
            tokens = {user: hub.login(user, setup.password) for user in USERS}
            servers = {user: hub.start_server(user, tokens[user]) for user in USERS}
            team = Team(base, project, hub, proxy, fake, model, keys, tokens, servers, {})

            async def both() -> list[dict[str, Execution]]:
                return list(await asyncio.gather(*(_work(team, u) for u in USERS)))

            team.runs = dict(zip(USERS, asyncio.run(both()), strict=True))
            yield team
        finally:
            if hub is not None:
                hub.stop()
            stop_process(proxy.proc)


# -- the tests --------------------------------------------------------------------------


def _plans(team: Team) -> dict[str, dict[str, Any]]:
    """Each user's plan (its front matter), found by the tag in its Markdown."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((team.project / ".jupyter_plan/plans").glob("*.md")):
        _, meta, body = path.read_text().split("---", 2)
        owners = [u for u in USERS if tag(u) in body]
        assert len(owners) == 1, f"{path.name}: plan of {owners or 'nobody'}"
        assert owners[0] not in found, f"two plans for {owners[0]}"
        found[owners[0]] = yaml.safe_load(meta)
    return found


def test_every_cell_ran_for_both_users(team: Team) -> None:
    for user in USERS:
        runs = team.runs[user]
        failed = [(step, r.error or r.text) for step, r in runs.items() if not r.ok]
        assert not failed and len(runs) == len(cells(user)), f"{user}: {failed}"
    assert sorted(team.model.overlapped) == ["build", "build", "plan", "plan"]


def test_the_admin_deny_holds_and_user_rules_cannot_lift_it(team: Team) -> None:
    for user in USERS:
        rm, touch = team.runs[user]["check_rm"].text, team.runs[user]["check_touch"].text
        assert rm.startswith("deny") and ADMIN_DENY in rm and "(admin tier)" in rm, rm
        assert touch.startswith("allow") and "(user tier)" in touch, touch
        # The build's rm was refused with the admin's message; its touch ran.
        answers = [
            str(m["content"])
            for body in team.model.bodies[user]
            for m in body["messages"]
            if m["role"] == "tool"
        ]
        assert any(ADMIN_DENY in a for a in answers), answers
        assert (team.project / f"made-by-{user}.txt").exists()
    assert (team.project / "shared.csv").read_text().startswith("region,amount")
    audit = [json.loads(line) for line in (team.project / ".jupyter_plan/audit.jsonl").open()]
    denied = [a for a in audit if a["decision"] == "deny" and a.get("tier") == "admin"]
    assert len(denied) >= 2, audit


def test_concurrent_plans_and_builds_lose_nothing(team: Team) -> None:
    plans = _plans(team)
    assert sorted(plans) == sorted(USERS)
    ids = {user: plans[user]["id"] for user in USERS}
    assert len(set(ids.values())) == len(USERS)
    stems = {i.rsplit("-", 1)[0] for i in ids.values()}
    assert len(stems) == 1, ids  # the same title: only the random suffix tells them apart
    for user in USERS:
        assert plans[user]["status"] == "built", plans[user]
        listed = team.runs[user]["list"].text
        assert all(i in listed for i in ids.values()), listed  # each sees both plans
        nb = nbformat.read(team.project / f"{user}.ipynb", as_version=4)
        built = [c for c in nb.cells if "jupyter_plan" in c.metadata]
        assert [c.metadata["jupyter_plan"]["plan_id"] for c in built] == [ids[user]]
        assert "42" in json.dumps(built[0].outputs)
        # Transcripts: every file parses, names only its own user's task.
        transcripts = list((team.project / ".jupyter_plan/plans" / ids[user]).rglob("*.json"))
        assert transcripts, f"no transcript for {ids[user]}"
        for path in transcripts:
            raw = path.read_text()
            json.loads(raw)
            other = next(u for u in USERS if u != user)
            assert tag(user) in raw and tag(other) not in raw, path


def _files_holding(folder: Path, secret: str) -> list[Path]:
    needle = secret.encode()
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_each_key_stays_with_its_user(team: Team) -> None:
    for user in USERS:
        other = next(u for u in USERS if u != user)
        assert not _files_holding(team.home(other), team.keys[user])
        assert not _files_holding(team.project, team.keys[user])
        assert not _files_holding(team.proxy.folder, team.keys[user])  # digests only
    # The provider sees the proxy's key, never a user's.
    sent = {r.headers.get("authorization") for r in team.fake.requests}
    assert sent == {f"Bearer {team.proxy.upstream_key}"}


def test_the_proxy_and_the_hub_refuse_what_is_not_yours(team: Team) -> None:
    status, _ = team.hub.request("GET", "/user/bob/api/status", token=team.tokens["alice"])
    assert status == 403  # Alice's token does not open Bob's server
    with pytest.raises(PermissionError):
        team.hub.login("alice", "not-the-password")
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        team.proxy.url + "/chat/completions",
        data=json.dumps({"model": PROXY_MODEL, "messages": []}).encode(),
        headers={"Authorization": "Bearer sk-not-issued", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    assert refused.value.code == 401
