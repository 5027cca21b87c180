"""What a plan run and a build run share: prompts, the model client, the policy, and the
choice between calling the model (and recording) or replaying a recorded transcript."""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Protocol

from jupyter_plan.agent.client import ModelClient
from jupyter_plan.agent.human import Human
from jupyter_plan.agent.loop import AgentLoop, Listener
from jupyter_plan.agent.replay import RecordingClient, RecordingHuman, ReplayClient, ReplayHuman
from jupyter_plan.models import Plan
from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.types import Mode
from jupyter_plan.record.keeping import LiveKeeping, ReplayKeeping
from jupyter_plan.record.store import PlanStore
from jupyter_plan.record.transcript import (
    Transcript,
    TranscriptError,
    TranscriptKind,
    choose_replay,
    find_transcript,
    nearest_transcript,
    transcript_key,
    transcript_path,
)
from jupyter_plan.settings import ResolvedSettings
from jupyter_plan.tools.base import ToolContext, ToolRegistry


class RunSetupError(ValueError):
    """The run cannot start (no model configured, unknown skill …); nothing was changed."""


def render(name: str, **values: str) -> str:
    """A prompt from the package's ``agent/prompts/*.md`` (``$name`` placeholders)."""
    text = (resources.files("jupyter_plan.agent") / "prompts" / name).read_text("utf-8")
    return Template(text).substitute(values)


def live_client(resolved: ResolvedSettings) -> ModelClient:
    from jupyter_plan.agent.llm import LiteLLMClient  # litellm loads at the first model call

    return LiteLLMClient.from_settings(resolved.settings)


def policy_for(resolved: ResolvedSettings) -> PolicyEngine:
    from jupyter_plan.policy.from_settings import engine_from

    return engine_from(resolved)


class LoopRun(Protocol):
    """What a plan, build or agent run gives its loop."""

    resolved: ResolvedSettings
    policy: PolicyEngine | None
    interactive: bool
    listener: Listener | None


def new_loop(
    run: LoopRun,
    client: ModelClient,
    registry: ToolRegistry,
    ctx: ToolContext,
    messages: list[dict[str, Any]],
    mode: Mode,
) -> AgentLoop:
    """The agent loop for ``run``: its settings' model, turns and policy (or the run's own)."""
    settings = run.resolved.settings
    return AgentLoop(
        client=client,
        registry=registry,
        policy=run.policy or policy_for(run.resolved),
        ctx=ctx,
        model=settings.model or "replay",
        api_base=settings.api_base,
        messages=messages,
        mode=mode,
        interactive=run.interactive,
        max_turns=settings.max_turns,
        listener=run.listener,
    )


@dataclass
class TranscriptSession:
    """The client and person a run talks to: live and recorded, or replayed."""

    client: ModelClient
    human: Human
    replayed: bool
    path: Path | None  # the transcript replayed, or (after finish) the one recorded
    plan_id: str | None  # on replay: the recorded plan id (prompts name it)
    _recording: Transcript | None
    _resolved: ResolvedSettings
    _kind: TranscriptKind
    _revision: int

    @property
    def warnings(self) -> list[str]:
        """Differences a replay let pass (display data only), one line each."""
        return list(self.client.warnings) if isinstance(self.client, ReplayClient) else []

    def keeping(self, store: PlanStore) -> LiveKeeping:
        """What this run writes to the plan store (``record/keeping.py``)."""
        return ReplayKeeping(store) if self.replayed else LiveKeeping(store)

    def bind(self, plan_id: str) -> None:
        """The plan id a live run settled on (recorded with the transcript)."""
        self.plan_id = plan_id
        if self._recording is not None:
            self._recording.plan_id = plan_id

    def finish(self) -> Path | None:
        """Replay: check every recorded turn was used. Live: save the recording (no keys)."""
        if isinstance(self.client, ReplayClient):
            self.client.check_complete()
            return self.path
        assert self._recording is not None and self.plan_id is not None
        path = transcript_path(self._resolved.plan_dir, self.plan_id, self._revision, self._kind)
        self.path = self._recording.save(path, secrets=[self._resolved.settings.api_key])
        return self.path


def recorded_plan(
    resolved: ResolvedSettings, plan_id: str | None, cell: str | None
) -> tuple[Plan, Path | None]:
    """The plan as recorded, for "keep the recorded plan": ``plan_id``'s, or the plan the
    newest recording made from this ``%%plan`` cell; nothing is replayed or called."""
    store = PlanStore(resolved.plan_dir)
    path = None
    if plan_id is None and cell is not None:
        made = []
        for candidate in sorted(resolved.plan_dir.glob("*/transcript.r*.json")):
            try:
                recorded = Transcript.load(candidate)
            except TranscriptError:
                continue
            if recorded.cell == cell and recorded.plan_id:
                made.append((recorded.created, recorded.plan_id, candidate))
        if made:
            _, plan_id, path = max(made)
    if plan_id is None or not store.path_of(plan_id).exists():
        raise RunSetupError(
            "no recorded plan to keep for this cell: plan it (with a model), or give "
            "--id of a recorded plan"
        )
    return store.load(plan_id), path


def open_transcript(
    resolved: ResolvedSettings,
    *,
    kind: TranscriptKind,
    task: str,
    context: str,
    plan_id: str | None,
    revision: int,
    client: ModelClient | None,
    human: Human,
    cell: str | None = None,
    live: bool = False,
) -> TranscriptSession:
    """Replay a transcript recorded for exactly these inputs (per the ``replay`` setting),
    or record a live run. The key covers the task, model settings and notebook context.

    A replay never silently calls a model: when nothing matches but this plan (its ``--id``
    and revision, or its ``%%plan`` cell) has a recording, that recording is replayed, so
    the run stops with a drift report (or, when only display data differs, replays with a
    warning) — unless the person chose to go live (``live``, or ``replay='never'``). With
    no model at all, the nearest recording made on the same notebook is replayed too, so
    the drift report shows what changed."""
    settings = resolved.settings
    mode = "never" if live and settings.replay != "always" else settings.replay
    model_settings = {"model": settings.model, "api_base": settings.api_base}
    key = transcript_key(task, model_settings, context, kind=kind)
    lookup = find_transcript(resolved.plan_dir, key, kind=kind, plan_id=plan_id)
    if lookup.path is None and mode != "never":
        loose = mode == "always" or client is None
        near = nearest_transcript(
            resolved.plan_dir,
            kind=kind,
            plan_id=plan_id,
            task=task,
            context=context,
            cell=cell,
            revision=revision if kind == "build" else None,
            loose=loose,
        )
        if near is not None:
            lookup = replace(lookup, path=near)
    choice = choose_replay(mode, lookup)
    if choice.replay:
        assert choice.transcript is not None
        recorded = Transcript.load(choice.transcript)
        return TranscriptSession(
            ReplayClient(recorded),
            ReplayHuman(recorded, fallback=human),  # past the recording, the person decides
            True,
            choice.transcript,
            recorded.plan_id,
            None,
            resolved,
            kind,
            revision,
        )
    if client is None:
        raise RunSetupError(
            "no model is configured: set JUPYTER_PLAN_MODEL, 'model' in "
            ".jupyter_plan/settings.json, or pass --model (any litellm model string)"
        )
    recording = Transcript(
        key=key, kind=kind, plan_id=plan_id, revision=revision, cell=cell, settings=model_settings
    )
    return TranscriptSession(
        RecordingClient(client, recording),
        RecordingHuman(human, recording),
        False,
        None,
        plan_id,
        recording,
        resolved,
        kind,
        revision,
    )
