"""Build an approved plan: a fresh agent thread seeded with the plan, gated by the policy.

The notebook is checkpointed before the first change, so one action undoes the build.
Built cells carry ``metadata.jupyter_plan = {plan_id, revision, step_id}``; a plan whose
cells for its revision are in the notebook is not built twice (unless asked to). The notebook
is the truth, not the plan file's status: a "built" plan whose cells are not in the notebook
(a fresh run of a plan notebook saved without them) is built again, from its transcript when
one matches, and a replay leaves the plan file as recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from jupyter_plan.agent.client import ModelClient
from jupyter_plan.agent.context import build_outline
from jupyter_plan.agent.human import Human
from jupyter_plan.agent.loop import AgentLoop, Listener, LoopStopped, Outcome
from jupyter_plan.agent.pages_context import build_pages, with_pages
from jupyter_plan.agent.runs import live_client, new_loop, open_transcript, render
from jupyter_plan.agent.view import AgentView
from jupyter_plan.bridge.base import EditableBridge
from jupyter_plan.bridge.file import writes_at_safe_points
from jupyter_plan.models import NotebookSnapshot, Plan, PlanStatus, Step
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.types import Mode
from jupyter_plan.record.approval import check_approved
from jupyter_plan.record.store import PlanStore
from jupyter_plan.session import transition
from jupyter_plan.settings import ResolvedSettings
from jupyter_plan.tools import build_tools
from jupyter_plan.tools.base import BuildState, ToolContext

FINISHED = {"done", "skipped"}
MARKS = {"done": "✓", "skipped": "-", "failed": "✗", "in_progress": "…", "pending": "·"}


class BuildRefused(ValueError):
    """Nothing to build (not approved, already built, no plan); nothing was changed."""


@dataclass
class BuildRun:
    resolved: ResolvedSettings
    bridge: EditableBridge
    human: Human
    plan_id: str | None = None  # None: the newest approved plan
    mode: Mode | None = None  # None: the mode chosen at approval
    rebuild: bool = False
    namespace: Mapping[str, Any] | None = None
    client: ModelClient | None = None
    policy: PolicyEngine | None = None
    interactive: bool = True
    listener: Listener | None = None
    on_step: Callable[[Step], None] | None = None
    on_checkpoint: Callable[[str], None] | None = None  # the undo token, before any change
    live: bool = False  # the person chose to build live: a recording does not stop the model


@dataclass
class BuildOutcome:
    plan: Plan
    summary: str
    checkpoint: str  # restore_checkpoint(token) undoes the build
    cells: list[str]  # ids of cells inserted or edited, in order
    replayed: bool
    transcript: Path | None


def choose_plan(store: PlanStore, plan_id: str | None) -> Plan:
    if plan_id is not None:
        return store.load(plan_id)
    ready = [p for p in store.list() if p.status in (PlanStatus.APPROVED, PlanStatus.BUILT)]
    if not ready:
        raise BuildRefused("no approved plan to build: run %%plan and approve a plan first")
    return ready[0]


def built_cells(snapshot: NotebookSnapshot, plan: Plan) -> list[str]:
    """Ids of cells already built from this plan revision (a re-run must not duplicate them)."""
    found = []
    for cell in snapshot.cells:
        tag = cell.metadata.get("jupyter_plan")
        if isinstance(tag, dict) and (tag.get("plan_id"), tag.get("revision")) == (
            plan.id,
            plan.revision,
        ):
            found.append(cell.id)
    return found


async def run_build(run: BuildRun) -> BuildOutcome:
    settings = run.resolved.settings
    store = PlanStore(run.resolved.plan_dir)
    plan = original = choose_plan(store, run.plan_id)
    check_approved(store, plan)  # the approved text, unchanged since approval
    bridge = cast(EditableBridge, AgentView(run.bridge, run.resolved.project_root))
    snapshot = await bridge.get_notebook()
    _check_buildable(plan, snapshot, run.rebuild)
    mode = run.mode or Mode.parse(plan.build_mode or "default")

    # chars/4, as the planner counts: the same key on every machine, no litellm to replay.
    pages = build_pages(run.resolved, plan)  # the plan's referenced pages (front matter)
    budget = max(1, settings.context_budget_tokens - pages.tokens)
    outline = build_outline(snapshot, plan.goal, budget_tokens=budget)
    session = open_transcript(
        run.resolved,
        kind="build",
        task=f"{plan.id}@{plan.revision}\n{plan.markdown}\nmode={mode.value}",
        context=with_pages(outline.text, pages),
        plan_id=plan.id,
        revision=plan.revision,
        client=run.client or (live_client(run.resolved) if settings.model else None),
        human=run.human,
        live=run.live,
    )
    keeping = session.keeping(store)
    token = await run.bridge.checkpoint()
    if run.on_checkpoint is not None:
        run.on_checkpoint(token)

    steps = {s.id: s.model_copy(update={"status": "pending", "note": None}) for s in plan.steps}
    state = BuildState(plan.id, plan.revision, steps, on_step=run.on_step)
    ctx = ToolContext(
        bridge=bridge,
        workspace_root=run.resolved.project_root,
        plan_dir=run.resolved.plan_dir,
        human=session.human,
        namespace=run.namespace,
        skill_dirs=[run.resolved.project_root / ".jupyter_plan" / "skills"],
        build=state,
    )
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": render("build_system.md")},
        {
            "role": "user",
            "content": render(
                "build_user.md",
                plan_id=plan.id,
                revision=str(plan.revision),
                plan=plan.markdown,
                steps="\n".join(
                    f"- {s.id}. {s.title} — Verify: {s.verification}" for s in steps.values()
                ),
                outline=with_pages(outline.text, pages),
            ),
        },
    ]
    loop = new_loop(run, session.client, build_tools(), ctx, messages, mode)
    plan = transition(plan, PlanStatus.BUILDING)
    store.save(plan)
    try:
        with writes_at_safe_points(run.bridge, state):  # a file: at step ends, on stop
            result = await loop.run()
        if result.outcome is not Outcome.ANSWERED:  # pragma: no cover - no exit_plan_mode here
            raise LoopStopped("the build ended without a summary")
    except BaseException:
        keeping.build_failed(original, _finish(plan, steps, loop, failed=True))
        raise
    plan = keeping.build_finished(original, _finish(plan, steps, loop, failed=False))
    store.save(plan)
    transcript = session.finish()
    summary = summarise(plan, result.text)
    if session.warnings:
        summary += "\n\nReplay warnings (replayed all the same):\n" + "\n".join(
            f"- {w}" for w in session.warnings
        )
    return BuildOutcome(plan, summary, token, list(state.touched), session.replayed, transcript)


def _check_buildable(plan: Plan, snapshot: NotebookSnapshot, rebuild: bool) -> None:
    if plan.status in (PlanStatus.DRAFTING, PlanStatus.AWAITING_REVIEW):
        raise BuildRefused(f"plan {plan.id!r} is {plan.status.value}: approve it before %build")
    if plan.status is PlanStatus.REJECTED:
        raise BuildRefused(f"plan {plan.id!r} was rejected; iterate on it or plan again")
    if plan.status is PlanStatus.BUILDING:
        raise BuildRefused(f"plan {plan.id!r} is being built right now")
    existing = built_cells(snapshot, plan)
    if existing and not rebuild:
        where = f" (cells {', '.join(existing)})" if existing else ""
        raise BuildRefused(
            f"plan {plan.id!r} revision {plan.revision} is already built{where}; nothing to "
            "do. Use %build --rebuild to build it again."
        )


def _finish(plan: Plan, steps: dict[str, Step], loop: AgentLoop, *, failed: bool) -> Plan:
    done = all(s.status in FINISHED for s in steps.values())
    status = PlanStatus.BUILT if done and not failed else PlanStatus.APPROVED
    plan = plan.model_copy(update={"steps": list(steps.values()), "usage": plan.usage + loop.usage})
    return transition(plan, status)


def summarise(plan: Plan, agent_text: str) -> str:
    """The build against the plan: every step with its outcome, then the agent's own words."""
    done = sum(s.status == "done" for s in plan.steps)
    lines = [
        f"Built {plan.title!r} (revision {plan.revision}): {done} of {len(plan.steps)} steps done."
    ]
    for s in plan.steps:
        state = {"pending": "not done", "in_progress": "not finished"}.get(s.status, s.status)
        note = f" — {s.note}" if s.note else ""
        lines.append(f"{MARKS[s.status]} {s.id}. {s.title}: {state}{note}")
    if agent_text.strip():
        lines += ["", agent_text.strip()]
    return "\n".join(lines)
