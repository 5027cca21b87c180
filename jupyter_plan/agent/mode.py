"""``%%agent``: one agent in the session's approval mode, which may ask to plan instead.

In ``plan`` mode it *is* a plan run. Otherwise the agent has the build tools, ask_user,
``enter_plan_mode`` and ``investigate``, and the policy decides each call in the mode
(``default`` asks before each edit, ``auto_edit`` before shell commands). Small tasks are
done and questions answered in place. When the model calls ``enter_plan_mode`` and the
policy (the person, when it asks) lets it, the same run continues as a planning run of the
task, with its own plan transcript and the plan review; a refusal goes back to the model,
which stays in its mode. Its transcript (``kind: agent``) is opened like the others:
whether a model or a recording answers is ``agent/runs.py``'s business, not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from jupyter_plan.agent.client import ModelClient
from jupyter_plan.agent.context import build_outline
from jupyter_plan.agent.human import Human
from jupyter_plan.agent.investigator import install
from jupyter_plan.agent.loop import Listener, Outcome
from jupyter_plan.agent.planner import PlanOutcome, PlanRun, run_plan
from jupyter_plan.agent.runs import live_client, new_loop, open_transcript, render
from jupyter_plan.agent.view import AgentView
from jupyter_plan.bridge.base import EditableBridge
from jupyter_plan.bridge.file import writes_at_safe_points
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.types import Mode
from jupyter_plan.record.transcript import digest
from jupyter_plan.settings import ResolvedSettings
from jupyter_plan.tools import agent_tools
from jupyter_plan.tools.base import BuildState, ToolContext

#: ``metadata.jupyter_plan.plan_id`` of cells an agent run edits (no plan made them).
AGENT_TAG = "agent"


@dataclass
class AgentRun:
    """Everything one ``%%agent`` needs. ``client``/``policy`` default from the settings."""

    task: str
    resolved: ResolvedSettings
    bridge: EditableBridge
    human: Human
    mode: Mode = Mode.DEFAULT
    namespace: Mapping[str, Any] | None = None
    client: ModelClient | None = None
    policy: PolicyEngine | None = None
    interactive: bool = True
    listener: Listener | None = None
    live: bool = False


@dataclass
class AgentOutcome:
    answer: str | None  # the agent's reply (an answer, or a summary of what it did)
    plan: PlanOutcome | None  # set when the run entered plan mode
    replayed: bool
    transcript: Path | None
    cells: list[str] = field(default_factory=list)  # ids of cells inserted or edited
    entered_plan: str | None = None  # enter_plan_mode's reason, once confirmed


def start_mode(session_mode: Mode | None, default: str) -> Mode:
    """The session's mode (``%plan mode``, the status bar), else the settings' default."""
    return session_mode if session_mode is not None else Mode.parse(default)


async def run_agent(run: AgentRun) -> AgentOutcome:
    if run.mode is Mode.PLAN:  # exactly %%plan
        return _planned(await run_plan(_plan_run(run, run.task)), None)
    settings = run.resolved.settings
    root = run.resolved.project_root
    bridge = cast(EditableBridge, AgentView(run.bridge, root))
    snapshot = await bridge.get_notebook()
    outline = build_outline(snapshot, run.task, budget_tokens=settings.context_budget_tokens)
    task = f"{run.task}\nmode={run.mode.value}"
    session = open_transcript(
        run.resolved,
        kind="agent",
        task=task,
        context=outline.text,
        plan_id=None,
        revision=1,
        client=run.client or (live_client(run.resolved) if settings.model else None),
        human=run.human,
        cell=snapshot.active_cell_id,
        live=run.live,
    )
    session.bind(f"{AGENT_TAG}-{digest(task + outline.text)[:12]}")
    state = BuildState(AGENT_TAG, 0, {})
    ctx = ToolContext(
        bridge=bridge,
        workspace_root=root,
        plan_dir=run.resolved.plan_dir,
        human=session.human,
        namespace=run.namespace,
        skill_dirs=[root / ".jupyter_plan" / "skills", run.resolved.user_dir / "skills"],
        build=state,
    )
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": render("agent_system.md", mode=run.mode.value)},
        {"role": "user", "content": render("agent_user.md", task=run.task, outline=outline.text)},
    ]
    loop = new_loop(run, session.client, agent_tools(), ctx, messages, run.mode)
    install(loop, settings.investigate_budget_tokens)
    with writes_at_safe_points(run.bridge, state):
        result = await loop.run()
    transcript = session.finish()
    if result.outcome is not Outcome.ENTER_PLAN:
        return AgentOutcome(result.text, None, session.replayed, transcript, list(state.touched))
    reason = ctx.enter_plan or ""
    planned = await run_plan(_plan_run(run, f"{run.task}\n\n(Plan mode, because: {reason})"))
    outcome = _planned(planned, reason)
    outcome.cells = list(state.touched)
    return outcome


def _plan_run(run: AgentRun, task: str) -> PlanRun:
    return PlanRun(
        task=task,
        resolved=run.resolved,
        bridge=run.bridge,
        human=run.human,
        namespace=run.namespace,
        client=run.client,
        policy=run.policy,
        interactive=run.interactive,
        listener=run.listener,
        live=run.live,
    )


def _planned(planned: PlanOutcome, reason: str | None) -> AgentOutcome:
    return AgentOutcome(
        planned.answer, planned, planned.replayed, planned.transcript, entered_plan=reason
    )
