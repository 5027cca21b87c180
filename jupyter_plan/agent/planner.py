"""Run one plan: context → agent loop → plan file → review (→ iterate …) → outcome.

This is the Python API the magics and widgets sit on; it needs no UI. Everything the run
depends on (task, model settings, notebook outline) keys its transcript. The planner does
not know whether a model or a recording answers: ``agent/runs.py`` hands it a client and a
person (live and recording, or replaying) and ``record/keeping.py`` says what to write.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_plan.agent.client import ModelClient
from jupyter_plan.agent.comments import mark_revision, missing_marks_message, unanswered
from jupyter_plan.agent.context import build_outline
from jupyter_plan.agent.human import Human
from jupyter_plan.agent.investigator import install
from jupyter_plan.agent.loop import AgentLoop, Listener, LoopStopped, Outcome
from jupyter_plan.agent.pages_context import chosen_pages, pages_for_run, with_pages
from jupyter_plan.agent.person_input import iterate_extras, take_edit
from jupyter_plan.agent.runs import (
    RunSetupError,
    live_client,
    new_loop,
    open_transcript,
    recorded_plan,
    render,
)
from jupyter_plan.agent.view import AgentView
from jupyter_plan.bridge.base import NotebookBridge
from jupyter_plan.models import Comment, Plan
from jupyter_plan.plan_format import parse_plan
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.types import Mode
from jupyter_plan.record.keeping import title_of
from jupyter_plan.record.pages import PageError, PageStore
from jupyter_plan.record.store import PlanStore, PlanStoreError, split_front_matter
from jupyter_plan.session import apply_review, submit
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
    live: bool = False  # the person chose to re-plan live: a recording does not stop the model
    keep: bool = False  # the person chose to keep the recorded plan as it is
    pages: tuple[str, ...] = ()  # %%plan --page NAME: pages the planner is given whole


@dataclass
class PlanOutcome:
    plan: Plan | None  # None when the task was an inquiry
    answer: str | None  # the model's text answer to an inquiry
    replayed: bool
    transcript: Path | None
    warnings: list[str] = field(default_factory=list)  # replayed despite display differences


NO_PLAN_CELL = (
    "\n(The %%plan cell this task comes from is not known: it was not run from a notebook "
    "cell this kernel can name, e.g. in terminal IPython. Read the notebook as a whole.)"
)


async def run_plan(run: PlanRun) -> PlanOutcome:
    settings = run.resolved.settings
    root = run.resolved.project_root
    plan_dir = run.resolved.plan_dir
    store = PlanStore(plan_dir)

    bridge = AgentView(run.bridge, root, planning=True)
    snapshot = await bridge.get_notebook()
    referenced = [*_pages_of(store, run.plan_id), *run.pages]
    try:
        pages = pages_for_run(
            run.resolved.pages_dir, root, referenced, settings.context_budget_tokens, planner=True
        )
    except PageError as exc:
        raise RunSetupError(str(exc)) from None
    # Counted as chars/4, not with the model's tokenizer: the outline (and so the transcript
    # key) is the same on every machine, and a replay needs no litellm.
    budget = max(1, settings.context_budget_tokens - pages.tokens)
    outline = build_outline(snapshot, run.task, budget_tokens=budget)
    context = outline.text if snapshot.active_cell_id else outline.text + NO_PLAN_CELL
    context = with_pages(context, pages)
    if run.keep:  # the person chose the recorded plan over a drifted replay: no model, no replay
        kept, path = recorded_plan(run.resolved, run.plan_id, snapshot.active_cell_id)
        note = f"kept the recorded plan {kept.id!r} as it is (not replayed, no model called)"
        return PlanOutcome(kept, None, True, path, [note])
    live = run.client or (live_client(run.resolved) if settings.model else None)
    session = open_transcript(
        run.resolved,
        kind="plan",
        task=run.task,
        context=context,
        plan_id=run.plan_id,
        revision=store.next_revision(run.plan_id),  # a later run never overwrites r1's
        client=live,
        human=run.human,
        cell=snapshot.active_cell_id,
        live=run.live,
    )
    human = session.human
    keeping = session.keeping(store)
    plan_id = keeping.plan_id(run.plan_id, session.plan_id, title_of(run.task))
    session.bind(plan_id)
    store.folder_of(plan_id).mkdir(parents=True, exist_ok=True)

    ctx = ToolContext(
        bridge=bridge,
        workspace_root=root,
        plan_dir=plan_dir,
        human=human,
        namespace=run.namespace,
        skill_dirs=[root / ".jupyter_plan" / "skills", run.resolved.user_dir / "skills"],
        plan_id=plan_id,  # plan mode writes this plan's document only (issue 12)
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
        {"role": "user", "content": render("plan_user.md", task=run.task, outline=context)},
    ]
    loop = new_loop(run, session.client, plan_tools(), ctx, messages, Mode.PLAN)
    install(loop, settings.investigate_budget_tokens)  # when a policy lets it call investigate
    plan = keeping.start_plan(plan_id, run.task, settings.model, snapshot.path)
    if referenced:
        plan = plan.model_copy(update={"pages": list(dict.fromkeys(referenced))})
    store.save(plan)  # listed (as drafting) from the start; a dead kernel leaves a valid plan
    try:
        known = PageStore(run.resolved.pages_dir).names()
        plan = await _plan_loop(loop, ctx, store, plan, human, known)
    except BaseException:
        keeping.plan_failed(plan, loop.usage, list(ctx.questions))
        raise
    if plan.revision == 0:  # an inquiry: answered in text, no plan to keep
        _discard(store, plan_id)
        answer = loop.messages[-1].get("content") or ""
        return PlanOutcome(None, str(answer), session.replayed, session.path, session.warnings)
    transcript = session.finish()
    plan = keeping.plan_finished(plan)
    return PlanOutcome(plan, None, session.replayed, transcript, session.warnings)


async def _plan_loop(
    loop: AgentLoop,
    ctx: ToolContext,
    store: PlanStore,
    plan: Plan,
    human: Human,
    known_pages: list[str] | None = None,
) -> Plan:
    """Run the agent until the person approves or rejects (or it answers an inquiry)."""
    feedback: str | None = None
    pending: list[Comment] = []  # the person's comments the next revision must answer
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
        if missing := unanswered(body, pending):  # bad input: it must answer each comment
            loop.messages.append({"role": "user", "content": missing_marks_message(missing)})
            ctx.submitted_plan = None
            continue
        plan = submit(plan, body, feedback).model_copy(
            update={
                "title": parsed.title,
                "steps": parsed.steps,
                "approaches": parsed.approaches,
                "chosen_approach": parsed.chosen_approach,
                "questions": list(ctx.questions),
                "usage": loop.usage,
                "pages": list(dict.fromkeys([*plan.pages, *chosen_pages(body, known_pages)])),
            }
        )
        plan = mark_revision(plan, pending)  # each comment: addressed or not
        store.save(plan)
        decision = await human.review(plan)
        plan, decision, refused = take_edit(store, plan, decision, human)  # hand edit, comments
        if refused:
            print(f"jupyter-plan: your edit was not kept: {refused} (a copy is beside the plan)")
        plan = apply_review(plan, decision)
        store.save(plan)
        if decision.action != "iterate":
            return plan
        feedback = decision.feedback
        pending = list(decision.comments)
        ctx.submitted_plan = None
        loop.messages.append(
            {
                "role": "user",
                "content": render(
                    "plan_iterate.md",
                    revision=str(plan.revision),
                    feedback=feedback or "(see the comments below)",
                    plan_file=f"{plan.id}.md",
                )
                + iterate_extras(plan, decision),
            }
        )


def _pages_of(store: PlanStore, plan_id: str | None) -> list[str]:
    """The pages an existing plan references (``--id``): a new revision keeps them."""
    try:
        return store.load(plan_id).pages if plan_id else []
    except PlanStoreError:
        return []


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
