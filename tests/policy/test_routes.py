"""The fast path (routes.py) decides exactly as the full rule walk, call after call."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_plan.agent.investigator import for_subagent
from jupyter_plan.policy import routes
from jupyter_plan.policy.calls import default_annotations
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.loader import PolicyFile, builtin_files, load_rules
from jupyter_plan.policy.types import TOOL_KINDS, Decision, PolicyDecision, Tier, ToolKind

from .test_plan_boundary_property import rule_tail

PLAN_DIR = Path(tempfile.mkdtemp(prefix="jp-routes-")) / "plans"
PLAN_DIR.mkdir()
#: Read, edit and run tools, a file-edit tool (build files), an edit word, MCP, a legacy alias.
TOOLS = ["read_file", "glob", "edit_cell", "insert_cell", "run_cell", "replace"]
TOOLS += ["update_notes", "mcp_jira_search", "search_file_content", "some_new_tool"]
PATTERNS = ["*", "*_cell", "edit_*", "mcp_*", "mcp_jira_*", "grep_search", *TOOLS]
ARGS = st.dictionaries(
    st.sampled_from(["cell_id", "source", "file_path", "path", "q"]),
    st.sampled_from(["a1", "x.md", "package.json", "rm -rf", "df.dropna()", "bug", ""]),
    max_size=3,
)


@st.composite
def rule(draw: st.DrawFn) -> str:
    lines = ["[[rule]]", f"toolName = {json.dumps(draw(st.sampled_from(PATTERNS)))}"]
    if draw(st.booleans()):
        lines.append(f"argsPattern = {json.dumps(draw(st.sampled_from(['x', 'md', 'a1', '.'])))}")
    if draw(st.integers(0, 5)) == 0:
        lines.append('mcpName = "jira"')
    if draw(st.integers(0, 5)) == 0:
        lines.append(f"toolAnnotations = {{ readOnlyHint = {str(draw(st.booleans())).lower()} }}")
    modes = st.none() | st.lists(st.sampled_from(["default", "autoEdit", "plan", "yolo"]))
    lines += rule_tail(draw, modes, st.integers(0, 3))  # ties are common: equal priority
    return "\n".join(lines) + "\n"


def _fields(result: PolicyDecision) -> tuple[object, ...]:
    return (
        result.decision,
        result.tool,
        result.mode,
        result.rule,
        result.reason,
        result.parts,
        dict(result.args),
        result.stricter,
        result.boundary,
    )


@settings(max_examples=300, deadline=None)
@given(
    tiers=st.lists(
        st.tuples(st.sampled_from(list(Tier)[1:]), st.lists(rule(), min_size=1, max_size=8)),
        min_size=1,
        max_size=3,
    ),
    calls=st.lists(
        st.tuples(
            st.sampled_from(TOOLS),
            ARGS,
            st.sampled_from(["default", "autoEdit", "auto_edit", "plan", "yolo"]),
            st.booleans(),
            st.sampled_from([None, ToolKind.READ, ToolKind.EDIT, ToolKind.OTHER]),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_routed_decisions_equal_the_full_walk(
    tiers: list[tuple[Tier, list[str]]], calls: list[tuple]
) -> None:
    files = builtin_files() + [
        PolicyFile(f"<gen-{i}>", tier, "".join(rules)) for i, (tier, rules) in enumerate(tiers)
    ]
    engine = PolicyEngine(load_rules(files), plan_dir=PLAN_DIR)
    for tool, args, mode, interactive, kind in calls * 2:  # the second time, outcomes are kept
        routed = engine.decide(tool, args, mode, interactive=interactive, kind=kind)
        full_kind = kind or TOOL_KINDS.get(tool, ToolKind.OTHER)
        full = engine.decide(
            tool,
            args,
            mode,
            interactive=interactive,
            kind=kind,
            annotations=default_annotations(full_kind),  # annotations given: the full path
        )
        assert _fields(routed) == _fields(full), (tool, args, mode, interactive, kind)


def _engine(text: str, **options: object) -> PolicyEngine:
    return PolicyEngine(load_rules([PolicyFile("<t>", Tier.USER, text)]), **options)  # type: ignore[arg-type]


def test_an_allowed_edit_of_a_build_file_still_asks(tmp_path: Path) -> None:
    engine = _engine('[[rule]]\ntoolName = "replace"\ndecision = "allow"\npriority = 1\n')
    engine.workspace_root = tmp_path
    assert engine.decide("replace", {"file_path": "notes.md"}, "default").allowed
    built = engine.decide("replace", {"file_path": "package.json"}, "default")
    assert built.decision is Decision.ASK_USER and "build configuration" in built.reason
    assert engine.decide("replace", {"file_path": "notes.md"}, "default").allowed


def test_each_call_gets_its_own_arguments_and_a_kept_outcome_changes_nothing() -> None:
    engine = _engine('[[rule]]\ntoolName = "edit_cell"\nargsPattern = "a1"\ndecision = "deny"\n')
    first = engine.decide("edit_cell", {"cell_id": "a1"}, "default")
    second = engine.decide("edit_cell", {"cell_id": "a1", "source": "y"}, "default")
    other = engine.decide("edit_cell", {"cell_id": "b2"}, "default")
    assert first.decision is second.decision is Decision.DENY
    assert other.decision is Decision.ASK_USER and other.rule is None
    assert dict(second.args) == {"cell_id": "a1", "source": "y"} and first.args is not second.args


def test_audit_sees_every_routed_decision() -> None:
    seen: list[PolicyDecision] = []
    engine = _engine('[[rule]]\ntoolName = "run_cell"\ndecision = "allow"\n', audit=seen.append)
    for _ in range(3):
        engine.decide("run_cell", {"cell_id": "a"}, "autoEdit")
    assert [d.decision for d in seen] == [Decision.ALLOW] * 3


def test_an_unknown_mode_is_still_refused() -> None:
    engine = _engine('[[rule]]\ntoolName = "run_cell"\ndecision = "allow"\n')
    for _ in range(2):
        with pytest.raises(ValueError, match="unknown approval mode 'planning'"):
            engine.decide("run_cell", {}, "planning")


def test_a_subagent_copy_does_not_share_the_callers_routes() -> None:
    engine = _engine(
        '[[rule]]\ntoolName = "read_file"\nsubagent = "codebase_investigator"\n'
        'decision = "deny"\npriority = 5\n'
        '[[rule]]\ntoolName = "read_file"\ndecision = "allow"\n'
    )
    assert engine.decide("read_file", {"file_path": "x"}, "default").allowed
    sub = for_subagent(engine, "investigate")
    assert sub.decide("read_file", {"file_path": "x"}, "default").decision is Decision.DENY
    assert engine.decide("read_file", {"file_path": "x"}, "default").allowed


def test_made_up_tool_names_keep_the_route_table_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes, "MAX_ROUTES", 5)
    engine = _engine('[[rule]]\ntoolName = "*"\ndecision = "ask_user"\n')
    for i in range(20):
        assert engine.decide(f"tool_{i}", {}, "default").decision is Decision.ASK_USER
    assert len(engine.routes) == 5


def test_file_writes_shell_and_agents_take_the_full_path() -> None:
    engine = _engine('[[rule]]\ntoolName = "*"\ndecision = "allow"\n')
    for tool in ("write_file", "run_shell_command", "invoke_agent"):
        engine.decide(tool, {"file_path": "x", "command": "ls", "agent_name": "a"}, "yolo")
        assert engine.routes[(tool, "yolo", True, None)] is None
