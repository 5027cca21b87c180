"""Every model configuration the README's "Using a real model" shows is one the suite plans
end to end against a local fake of its protocol (``test_routes.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jupyter_plan.settings import load_settings

from .test_routes import ROUTES

SECTION = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = SECTION.split("## Using a real model", 1)[1].split("\n## ", 1)[0]
TESTED = {r.model for r in ROUTES}


def test_every_model_in_the_table_is_tested() -> None:
    table = SECTION.split("| provider | model string |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    models = {m for row in rows for m in re.findall(r"`([\w.-]+/[\w./-]+)`", row.split("|")[2])}
    assert len(models) >= 8 and models <= TESTED, models - TESTED


def test_every_settings_example_is_valid_and_tested(tmp_path: Path) -> None:
    examples = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", SECTION, re.DOTALL)]
    assert [e["model"] for e in examples] == ["ollama_chat/llama3.1", "openai/qwen2.5-coder"]
    for example in examples:
        user = tmp_path / "user"
        user.mkdir(exist_ok=True)
        (user / "settings.json").write_text(json.dumps(example))
        resolved = load_settings(tmp_path, env={"JUPYTER_PLAN_USER_DIR": str(user)})
        assert resolved.settings.model in TESTED and resolved.settings.api_base
    model = r"([\w.-]+/[\w./-]+)"
    commands = re.findall(rf"--model {model}", SECTION)
    commands += re.findall(rf"JUPYTER_PLAN_MODEL={model}", SECTION)
    assert commands and set(commands) <= TESTED
