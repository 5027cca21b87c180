"""The plan-mode registry: every tool, with the kind the policy expects and a usable schema."""

from __future__ import annotations

from typing import Any

from jupyter_plan.policy.types import TOOL_KINDS, ToolKind
from jupyter_plan.tools import plan_tools

PLAN_TOOLS = {
    "list_cells", "read_cells", "search_cells", "list_variables", "inspect_variable",
    "read_file", "list_directory", "glob", "grep_search", "activate_skill",
    "ask_user", "exit_plan_mode", "write_file", "replace",
    "investigate",  # the read-only research sub-agent (Gemini's codebase_investigator)
    "run_shell_command",  # offered only where a rule naming `plan` opens it (test_shell.py)
}  # fmt: skip


def test_plan_tools_names_and_kinds() -> None:
    registry = plan_tools()
    assert set(registry.names) == PLAN_TOOLS
    for name in registry.names:
        # investigate reads (its sub-agent is read-only); read_only.toml decides it by name
        assert registry.get(name).kind is {**TOOL_KINDS, "investigate": ToolKind.READ}[name]
    writers = {n for n in registry.names if registry.get(n).kind is ToolKind.WRITE}
    assert writers == {"write_file", "replace"}


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = schema["function"]["parameters"].get("properties", {})
    return props


def test_every_argument_is_described() -> None:
    registry = plan_tools()
    for schema in registry.schemas(registry.names):
        fn = schema["function"]
        assert len(fn["description"]) > 40, fn["name"]
        for arg, spec in _properties(schema).items():
            assert spec.get("description"), f"{fn['name']}.{arg} has no description"


def test_write_tools_name_their_path_as_the_policy_reads_it() -> None:
    """The policy engine confines write calls by their 'file_path' argument."""
    registry = plan_tools()
    for name in ("write_file", "replace"):
        assert "file_path" in _properties(registry.schemas([name])[0])
