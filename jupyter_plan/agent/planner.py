"""Run one plan: context → agent loop → plan file → review (→ iterate …) → outcome.

This is the Python API the magics and widgets sit on; it needs no UI. Everything the run
depends on (task, model settings, notebook outline) keys its transcript: with ``replay`` on,
a recorded run is replayed with no model, no key and no network.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_plan.agent.client import ModelClient
from jupyter_plan.agent.context import build_outline
from jupyter_plan.agent.human import Human
from jupyter_plan.agent.loop import AgentLoop, Listener, LoopStopped, Outcome
from jupyter_plan.agent.runs import RunSetupError, live_client, open_transcript, policy_for, render
from jupyter_plan.agent.tokens import token_counter
from jupyter_plan.agent.view import AgentView
from jupyter_plan.bridge.base import NotebookBridge
from jupyter_plan.models import Plan, PlanStatus
from jupyter_plan.plan_format import parse_plan
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.types import Mode
from jupyter_plan.record.store import PlanStore, PlanStoreError, split_front_matter
from jupyter_plan.session import apply_review, submit, transition
from jupyter_plan.settings import ResolvedSettings
from jupyter_plan.tools import plan_tools
from jupyter_plan.tools.base import ToolContext
from jupyter_plan.tools.skills import discover_skills, preactivate_skill, skills_prompt


@dataclass
class PlanRun:
    """Everything one ``%%plan`` needs. ``client``/``policy`` default from the settings."""

    task: str
    resolved: ResolvedSettings
    bridge: NotebookBridge
    human: Human
    namespace: Mapping[str, Any] | None = None
    client: ModelClient | None = None
    policy: PolicyEngine | None = None
    plan_id: str | None = None
    skill: str | None = None
    interactive: bool = True
    listener: Listener | None = None


@dataclass
class PlanOutcome:
    plan: Plan | None  # None when the task was an inquiry
    answer: str | None  # the model's text answer to an inquiry
    replayed: bool
    transcript: Path | None


async def run_plan(run: PlanRun) -> PlanOutcome:
    settings = run.resolved.settings
    root = run.resolved.project_root
    plan_dir = run.resolved.plan_dir
    store = PlanStore(plan_dir)

    bridge = AgentView(run.bridge, root, task=run.task)
    snapshot = await bridge.get_notebook()
    outline = build_outline(
        snapshot,
        run.task,
        budget_tokens=settings.context_budget_tokens,
        count_tokens=token_counter(settings.model),
    )
    live = run.client or (live_client(run.resolved) if settings.model else None)
    session = open_transcript(
        run.resolved,
        kind="plan",
        task=run.task,
        context=outline.text,
        plan_id=run.plan_id,
        revision=1,
        client=live,
        human=run.human,
    )
    human = session.human
    stored: Plan | None = None
    if session.replayed:
        plan_id = session.plan_id or run.plan_id or store.new_id(_title(run.task))
        stored = store.load(plan_id) if store.path_of(plan_id).exists() else None
    else:
        plan_id = run.plan_id or store.new_id(_title(run.task))
    session.bind(plan_id)
    store.folder_of(plan_id).mkdir(parents=True, exist_ok=True)

    ctx = ToolContext(
        bridge=bridge,
        workspace_root=root,
        plan_dir=plan_dir,
        human=human,
        namespace=run.namespace,
        skill_dirs=[root / ".jupyter_plan" / "skills", run.resolved.user_dir / "skills"],
    )
    preactivated = ""
    try:  # a malformed SKILL.md or an unknown --skill stops the run before anything is written
        skills = discover_skills(ctx.skill_dirs)
        if run.skill:
            preactivated = preactivate_skill(ctx, run.skill)
    except ValueError as exc:
        _discard(store, plan_id)
        raise RunSetupError(str(exc)) from None
    plan_file = f"{plan_id}.md"  # relative to the plan directory: the same on every machine
    system = render(
        "plan_system.md",
        plan_file=plan_file,
        skills=render("skills.md", skill_list=skills_prompt(skills)) if skills else "",
    )
    if preactivated:
        system += f"\n\n## Active skill: {run.skill}\n\n{preactivated}\n"
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": render("plan_user.md", task=run.task, outline=outline.text)},
    ]
    policy = run.policy or policy_for(run.resolved)
    loop = AgentLoop(
        client=session.client,
        registry=plan_tools(),
        policy=policy,
        ctx=ctx,
        model=settings.model or "replay",
        api_base=settings.api_base,
        messages=messages,
        mode=Mode.PLAN,
        interactive=run.interactive,
        max_turns=settings.max_turns,
        listener=run.listener,
    )
    if session.replayed:  # the recording started from nothing: so does its replay
        plan = _fresh(plan_id, run.task, settings.model, snapshot.path)
    else:
        plan = _start(store, plan_id, run.task, settings.model, snapshot.path)
    store.save(plan)  # listed (as drafting) from the start; a dead kernel leaves a valid plan
    try:
        plan = await _plan_loop(loop, ctx, store, plan, human)
    except BaseException:
        if session.replayed and stored is not None:
            store.save(stored)  # a failed replay leaves the recorded plan as it was
        else:
            _keep_draft(store, plan, loop, ctx)
        raise
    if plan.revision == 0:  # an inquiry: answered in text, no plan to keep
        _discard(store, plan_id)
        answer = loop.messages[-1].get("content") or ""
        return PlanOutcome(None, str(answer), session.replayed, session.path)
    transcript = session.finish()
    if stored is not None and _same_plan(stored, plan):
        # A replay of the same plan: keep the file as it was (its timestamps, and "built" if
        # it was built: whether its cells are in the notebook is for %build to see). The cell
        # shows the plan as planned, as when recorded: a later build reads that output.
        store.save(stored)
        plan = plan.model_copy(update={"created": stored.created, "updated": stored.updated})
    return PlanOutcome(plan, None, session.replayed, transcript)


async def _plan_loop(
    loop: AgentLoop, ctx: ToolContext, store: PlanStore, plan: Plan, human: Human
) -> Plan:
    """Run the agent until the person approves or rejects (or it answers an inquiry)."""
    feedback: str | None = None
    while True:
        result = await loop.run()
        if result.outcome is Outcome.ANSWERED:
            if plan.revision == 0:
                return plan
            raise LoopStopped(
                "the model replied in text instead of revising the plan; the last "
                f"revision ({plan.revision}) is kept"
            )
        assert ctx.submitted_plan is not None
        if ctx.submitted_plan == store.path_of(plan.id):
            body = store.read_body(plan.id)
        else:  # the model named its document otherwise: it becomes the plan's file
            text = ctx.submitted_plan.read_text(encoding="utf-8")
            body = split_front_matter(text)[1]
        parsed = parse_plan(body)  # exit_plan_mode validated it already
        plan = submit(plan, body, feedback).model_copy(
            update={
                "title": parsed.title,
                "steps": parsed.steps,
                "approaches": parsed.approaches,
                "chosen_approach": parsed.chosen_approach,
                "questions": list(ctx.questions),
                "usage": loop.usage,
            }
        )
        store.save(plan)
        decision = await human.review(plan)
        plan = apply_review(plan, decision)
        store.save(plan)
        if decision.action != "iterate":
            return plan
        feedback = decision.feedback
        ctx.submitted_plan = None
        loop.messages.append(
            {
                "role": "user",
                "content": render(
                    "plan_iterate.md",
                    revision=str(plan.revision),
                    feedback=feedback or "",
                    plan_file=f"{plan.id}.md",
                ),
            }
        )


def _start(
    store: PlanStore, plan_id: str, task: str, model: str | None, notebook: str | None
) -> Plan:
    """A new plan, or (``--id`` of an existing one) that plan reopened for a new revision."""
    if store.path_of(plan_id).exists():
        plan = store.load(plan_id)
        if plan.status is not PlanStatus.DRAFTING:
            plan = transition(plan, PlanStatus.DRAFTING)
        return plan.model_copy(update={"goal": task, "model": model})
    return _fresh(plan_id, task, model, notebook)


def _fresh(plan_id: str, task: str, model: str | None, notebook: str | None) -> Plan:
    return Plan(id=plan_id, title=_title(task), goal=task, model=model, notebook_path=notebook)


def _without_times(plan: Plan) -> dict[str, Any]:
    """The plan minus wall-clock times: what a replay must reproduce exactly."""
    return plan.model_dump(
        exclude={
            "created": True,
            "updated": True,
            "revisions": {"__all__": {"created"}},
            "questions": {"__all__": {"at"}},
        }
    )


def _same_plan(stored: Plan, replayed: Plan) -> bool:
    """Whether ``replayed`` is ``stored`` as planned, before any build changed it."""
    if _without_times(stored) == _without_times(replayed):
        return True
    if stored.status not in (PlanStatus.BUILT, PlanStatus.BUILDING):
        return False
    if replayed.status is not PlanStatus.APPROVED:
        return False
    keep = {"status", "steps", "usage"}
    mine, theirs = _without_times(stored), _without_times(replayed)
    steps = [(s.id, s.title, s.verification) for s in stored.steps]
    return {k: v for k, v in mine.items() if k not in keep} == {
        k: v for k, v in theirs.items() if k not in keep
    } and steps == [(s.id, s.title, s.verification) for s in replayed.steps]


def _keep_draft(store: PlanStore, plan: Plan, loop: AgentLoop, ctx: ToolContext) -> None:
    """On any failure or interrupt: save what we have; the draft file is never deleted."""
    kept = plan.model_copy(update={"usage": loop.usage, "questions": list(ctx.questions)})
    store.save(kept)


def _discard(store: PlanStore, plan_id: str) -> None:
    """Release the id of a plan that never got a revision (an inquiry, a setup error)."""
    path = store.path_of(plan_id)
    if path.exists():
        try:
            if store.load(plan_id).revisions:
                return  # an earlier revision exists: never delete it
        except PlanStoreError:
            return  # unreadable: leave it for the person to look at
        path.unlink()
    shutil.rmtree(store.folder_of(plan_id), ignore_errors=True)


def _title(task: str) -> str:
    first = next((line.strip() for line in task.splitlines() if line.strip()), "plan")
    return first if len(first) <= 60 else first[:57].rstrip() + "…"
