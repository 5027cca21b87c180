"""No credential reaches a file, a file name or a notebook output, whatever the model does.

A distinct key is planted in every credential variable litellm's own source reads (found by
scanning it, so a provider litellm adds is covered without editing this test), in an API base
URL and in a litellm global. A real kernel then runs a notebook headless (``jupyter nbconvert
--execute``) in which a hostile model puts every key into its plan's title, steps, file name
and text, reads them from a kernel variable, and a provider's 401 echoes the key it was
sent. Afterwards not one planted value appears in any file or file name under the project
(the plan directory, transcripts, the audit log included), the user folder, or the executed
notebook.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from functools import cache
from pathlib import Path

import litellm
import nbformat
import pytest

from jupyter_plan.redaction import credential_values, is_credential_env
from jupyter_plan.testing.fake_server import FakeModelServer, http_error, tool_call, tool_calls
from jupyter_plan.testing.lab_server import write_notebook
from jupyter_plan.testing.routes import SENT_KEY

_READS = re.compile(
    r"""(?:get_secret_str|get_secret|os\.environ\.get|os\.getenv|os\.environ\[)\(?\s*["']([A-Z0-9_]+)["']"""
)
_SECRET_WORD = re.compile(r"KEY|TOKEN|SECRET|PASS|CRED|PEM")
# Settings *about* keys, not keys: counts, sizes, TTLs, paths, URLs, names, switches.
_NOT_A_SECRET = re.compile(
    r"(?:_FILE|_URL|_URI|_DIR|_DIRS|_COUNT|_TOKENS|_SIZE|_TTL|_SECONDS|_ENABLED|_VERSION|_HOST|"
    r"_PORT|_NAME|_ALIAS|_TEAM_ID|_USER_ID|_LENGTH|_INTERVAL|_PERIOD|_ENDPOINT|_KEYS|_CLAIMS|"
    r"_NAMESPACE|_PROJECT_ID|_ATTEMPTS|_REASONING|_TRITON|_HINT|_LICENSE)$"
    r"|^(?:DISABLE|ENABLE)_|_DISABLE_|MAX_TOKEN|TOKEN_COUNT|_RESERVATION_|_ROTATION_|CLEANUP"
    r"|TOKEN_COUNTING|_ALLOW_|SECRET_MANAGER|LENGTH"
)


@cache
def litellm_credential_variables() -> tuple[str, ...]:
    """Every environment variable litellm's source reads that holds a credential."""
    names: set[str] = set()
    for path in Path(litellm.__file__).parent.rglob("*.py"):
        names.update(_READS.findall(path.read_text(encoding="utf-8", errors="replace")))
    chosen = {n for n in names if _SECRET_WORD.search(n) and not _NOT_A_SECRET.search(n)}
    return tuple(sorted(chosen))


def test_every_credential_variable_litellm_reads_is_known() -> None:
    names = litellm_credential_variables()
    assert len(names) > 200 and "OPENAI_API_KEY" in names and "AZURE_AD_TOKEN" in names
    assert [n for n in names if not is_credential_env(n)] == []
    env = {n: f"value-of-{n.lower()}" for n in names}
    env["OLLAMA_API_BASE"] = "http://me:url-password-123@127.0.0.1:9"
    found = set(credential_values(env))
    assert set(env.values()) - {env["OLLAMA_API_BASE"]} <= found and "url-password-123" in found


def planted(names: tuple[str, ...]) -> dict[str, str]:
    """A distinct value per variable, shaped like no known provider key (so only knowing the
    variables, not a pattern, can catch them)."""
    return {name: f"plk{i:03d}q{secrets.token_hex(8)}" for i, name in enumerate(names)}


def hostile_script(keys: list[str]) -> list[object]:
    everything = " ".join(keys)
    document = (
        f"# Revenue {keys[0]} by region {keys[1]}\n\n## Steps\n"
        f"### S1. Summarise with {keys[2]}\nUse the keys {everything}.\nVerify: {keys[3]}\n"
    )
    return [
        tool_calls(
            [
                ("inspect_variable", {"name": "env"}),
                ("write_file", {"file_path": f"{keys[4]}.md", "content": document}),
                ("write_file", {"file_path": "hostile.md", "content": document}),
            ],
            content=f"Noting the credentials: {everything}",
        ),
        tool_call("exit_plan_mode", {"plan_filename": "hostile.md"}, content=keys[5]),
        # The next %%plan: the provider refuses the key it was sent, and says which.
        http_error(401, f"Incorrect API key provided: {SENT_KEY}. Find your key at ..."),
    ]


def occurrences(root: Path, values: list[str]) -> list[str]:
    """Where any value appears: in a file's bytes or in a path, as 'path: value'."""
    found = []
    for path in root.rglob("*"):
        rel = str(path.relative_to(root))
        found += [f"{rel} (name): {v}" for v in values if v in rel]
        if path.is_file():
            data = path.read_bytes()
            found += [f"{rel}: {v}" for v in values if v.encode() in data]
    return found


@pytest.mark.parametrize("source", ["OPENAI_API_KEY", "JUPYTER_PLAN_API_KEY"])
def test_a_hostile_plan_and_an_auth_error_leave_no_key_anywhere(
    tmp_path: Path, source: str
) -> None:
    project, user = tmp_path / "project", tmp_path / "user"
    (project / ".jupyter_plan").mkdir(parents=True)
    (project / ".jupyter_plan" / "settings.json").write_text('{"audit": {"enabled": true}}')
    names = litellm_credential_variables()
    values = planted(names)
    env = {k: v for k, v in os.environ.items() if not is_credential_env(k)}
    env.update(values)
    if source == "JUPYTER_PLAN_API_KEY":  # ours wins over the provider's variable
        env[source] = values[source] = "plk-ours-" + secrets.token_hex(8)
    url_secret = "plk-in-a-url-" + secrets.token_hex(6)
    env["OLLAMA_API_BASE"] = f"http://ollama:{url_secret}@127.0.0.1:9"
    global_secret = "plk-litellm-global-" + secrets.token_hex(6)
    env["PLANTED_FOR_A_LITELLM_GLOBAL"] = global_secret
    keys = [*values.values(), url_secret, global_secret]
    write_notebook(
        project / "analysis.ipynb",
        [
            "%load_ext jupyter_plan",
            "import os, litellm\nenv = dict(os.environ)\n"
            "litellm.anthropic_key = os.environ['PLANTED_FOR_A_LITELLM_GLOBAL']",
            "%%plan --approve auto_edit --id hostile --notebook analysis.ipynb\n"
            "Summarise revenue by region",
            "%plan",
            "%plan list",
            "%%plan --approve auto_edit --id refused --notebook analysis.ipynb\nAnd again",
        ],
    )
    with FakeModelServer(hostile_script(keys)) as srv:
        env.update(
            JUPYTER_PLAN_MODEL="openai/fake",
            JUPYTER_PLAN_API_BASE=srv.base_url,
            JUPYTER_PLAN_USER_DIR=str(user),
            LITELLM_LOCAL_MODEL_COST_MAP="True",
        )
        env.pop("JUPYTER_PLAN_INTERACTIVE", None)
        jupyter = Path(sys.executable).parent / "jupyter"
        command = [str(jupyter), "nbconvert", "--to", "notebook", "--execute", "analysis.ipynb"]
        command += ["--output", "executed.ipynb", "--allow-errors"]
        proc = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        sent = [r.headers.get("authorization", "") for r in srv.requests]
        base = srv.base_url
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sent[-1] == f"Bearer {values[source]}"  # the key litellm really used was echoed
    executed = nbformat.read(project / "executed.ipynb", as_version=4)
    outputs = [json.dumps(c.get("outputs", [])) for c in executed.cells]
    assert "application/vnd.jupyter-plan+json" in outputs[2]  # the plan was made and shown
    said = [o.text for o in executed.cells[5].outputs if o.output_type == "stream"]
    assert said == [
        f"UsageError: The provider at {base} refused the API key for model 'openai/fake' "
        "(HTTP 401).\n"
    ]
    leaks = occurrences(project, keys) + (occurrences(user, keys) if user.exists() else [])
    assert leaks == [], proc.stderr[-2000:]
    plan_files = list((project / ".jupyter_plan" / "plans").rglob("*"))
    assert any(p.name == "transcript.r1.json" for p in plan_files)
    assert (project / ".jupyter_plan" / "audit.jsonl").exists()
