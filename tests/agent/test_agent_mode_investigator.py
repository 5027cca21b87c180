"""The research sub-agent (``investigate``) in a plan run, decided by the policy.

Gemini's documented rule (``toolName = "codebase_investigator"``, ``modes = ["plan"]``) lets
the planner call it; its report reaches the plan and its tokens the plan's total; without
the rule it is hidden and denied; a ``subagent`` deny rule blocks one of its tools only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_plan.agent.loop import LoopEvent
from jupyter_plan.agent.planner import PlanOutcome, run_plan
from jupyter_plan.models import ReviewDecision
from jupyter_plan.testing.fake_server import FakeModelServer, Turn, text, tool_call
from jupyter_plan.testing.human import ScriptedHuman
from jupyter_plan.testing.openai_wire import estimate_tokens

from .conftest import Project, fake_model, revenue_plan
from .test_agent_mode import plan_file_of
from .test_builder import last_tool_result, scripted
from .test_planner import PLAN_V1

GEMINI_RULE = """[[rule]]
toolName = "codebase_investigator"
decision = "allow"
priority = 100
modes = ["plan"]
"""
SUBAGENT_DENY = """[[rule]]
toolName = "inspect_variable"
subagent = "codebase_investigator"
decision = "deny"
priority = 900
denyMessage = "the investigator may not look at variables"
"""
QUESTION = {"question": "Which columns of sales have missing values?"}
FINDING = "amount has 1 missing value"


def write_with_findings(body: dict[str, Any]) -> Turn:
    report = last_tool_result(body)
    assert report.startswith("Findings report:"), report
    content = PLAN_V1.replace("## Steps", f"Found: {report.splitlines()[1]}\n\n## Steps")
    return tool_call("write_file", {"file_path": plan_file_of(body), "content": content})


def submit(body: dict[str, Any]) -> Turn:
    return tool_call("exit_plan_mode", {"plan_filename": plan_file_of(body)})


def with_policy(project: Project, text: str) -> None:
    folder = Path(project.env["JUPYTER_PLAN_USER_DIR"]) / "policies"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "investigator.toml").write_text(text)


async def plan(
    project: Project, server: FakeModelServer, events: list[LoopEvent] | None = None
) -> PlanOutcome:
    resolved, client = fake_model(project.root, project.env, server.base_url)
    human = ScriptedHuman(reviews=[ReviewDecision(action="approve", build_mode="auto_edit")])
    listener = events.append if events is not None else None
    run = revenue_plan(resolved, human, client, "sales-summary", listener=listener)
    return await run_plan(run)


def tool_names(body: dict[str, Any] | None) -> set[str]:
    assert body is not None
    return {t["function"]["name"] for t in body.get("tools", [])}


async def test_a_plan_rule_lets_the_planner_investigate_and_the_report_reaches_the_plan(
    project: Project,
) -> None:
    with_policy(project, GEMINI_RULE)
    events: list[LoopEvent] = []
    script = [
        tool_call("investigate", QUESTION),
        tool_call("inspect_variable", {"name": "sales"}),  # the sub-agent
        text(f"{FINDING} (in sales)."),  # the sub-agent's report
        write_with_findings,
        submit,
    ]
    with FakeModelServer(scripted(script)) as server:
        outcome = await plan(project, server, events)
        bodies = [r.body for r in server.requests]
    assert "investigate" in tool_names(bodies[0])
    sub = bodies[1]
    assert sub is not None and sub["messages"][1]["content"] == QUESTION["question"]
    assert "research sub-agent" in sub["messages"][0]["content"]  # its own context
    assert tool_names(sub) <= {
        "list_cells", "read_cells", "search_cells", "list_variables", "inspect_variable",
        "read_file", "list_directory", "glob", "grep_search", "activate_skill",
    }  # fmt: skip
    assert "3 rows x 2 columns" in last_tool_result(bodies[2] or {})  # it read the variable
    assert outcome.plan is not None and f"Found: {FINDING} (in sales)." in outcome.plan.markdown
    nested = [e for e in events if e.data.get("agent") == "investigate"]
    assert [e.data["name"] for e in nested if e.kind == "tool_call"] == [
        "investigate > inspect_variable"
    ]
    prompt = sum(estimate_tokens([b["messages"], b.get("tools", [])]) for b in bodies if b)
    assert outcome.plan.usage.prompt_tokens == prompt  # the sub-agent's count in the plan's


async def test_without_the_rule_it_is_hidden_and_denied(project: Project) -> None:
    script = [tool_call("investigate", QUESTION), tool_call("write_file", {}), submit]
    script[1] = lambda body: tool_call(
        "write_file", {"file_path": plan_file_of(body), "content": PLAN_V1}
    )
    with FakeModelServer(scripted(script)) as server:
        outcome = await plan(project, server)
        bodies = [r.body for r in server.requests]
    assert "investigate" not in tool_names(bodies[0])
    told = last_tool_result(bodies[1] or {})
    assert told.startswith("Denied by policy:") and "Findings" not in told
    assert len(bodies) == 3 and outcome.plan is not None  # no sub-agent turn was made


async def test_a_subagent_deny_rule_blocks_its_tool_only(project: Project) -> None:
    with_policy(project, GEMINI_RULE + SUBAGENT_DENY)
    script = [
        tool_call("inspect_variable", {"name": "sales"}),  # the planner: allowed
        tool_call("investigate", QUESTION),
        tool_call("inspect_variable", {"name": "sales"}),  # the sub-agent: denied
        text(f"{FINDING}, from the CSV."),
        write_with_findings,
        submit,
    ]
    with FakeModelServer(scripted(script)) as server:
        outcome = await plan(project, server)
        bodies = [r.body for r in server.requests]
    assert "3 rows x 2 columns" in last_tool_result(bodies[1] or {})
    sub_told = last_tool_result(bodies[3] or {})
    assert sub_told == "Denied by policy: the investigator may not look at variables"
    assert outcome.plan is not None and FINDING in outcome.plan.markdown
