"""The transcript file: one recorded plan revision or build, its key, its path, and replay.

A :class:`Transcript` holds one plan revision or one build: the model turns (request
fingerprint, the request's messages and tool names, the response) and the human events
(questions → answers, review → decision, tool confirmations), in order. This module is the
file and the decisions about it: its format, the key saying which inputs it answers
(:func:`transcript_key`), where it lives (:func:`transcript_path`), finding one
(:func:`find_transcript`) and whether a run replays it (:func:`choose_replay`).

Filling one during a live run and answering from one offline is ``agent/replay.py``; finding and
replacing secrets is ``redaction.py``. Secrets never reach a file: fields named like keys or
auth headers, values shaped like provider keys, and every secret passed to
:meth:`Transcript.save` are replaced by ``[REDACTED]``. The names that moved to those
modules can still be imported from here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_core import to_jsonable_python

from jupyter_plan.models import Answer, Confirmation, ModelResponse, Question, ReviewDecision, now
from jupyter_plan.policy.paths import confine
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.record.store import check_id
from jupyter_plan.redaction import REDACTED as REDACTED
from jupyter_plan.redaction import is_secret_name, redact_with, secret_values
from jupyter_plan.redaction import redact as redact
from jupyter_plan.settings import ReplayMode

FORMAT = 1
TranscriptKind = Literal["plan", "build", "agent"]
#: The file name of each kind: ``transcript.r1.json``, ``build.r1.json``, ``agent.r1.json``.
FILE_NAMES = {"plan": "transcript", "build": "build", "agent": "agent"}
# Hashes and structure: never rewritten (a short secret must not corrupt a fingerprint).
_STRUCTURAL = frozenset({"type", "turn", "fingerprint", "plan_digest", "revision"})


def digest(text: str) -> str:
    """The sha256 hex digest of ``text``: transcript keys and :attr:`ReviewEvent.plan_digest`."""
    return hashlib.sha256(text.encode()).hexdigest()


# -- the format ---------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelTurn(_Model):
    type: Literal["model"] = "model"
    turn: int = Field(ge=1)
    fingerprint: str
    model: str
    api_base: str | None = None
    tools: list[str] = Field(default_factory=list)  # names; schemas are in the fingerprint
    # The request's messages = the previous turn's first ``shared`` messages + ``messages``:
    # each turn stores only what is new, so files stay small and diffs show the change.
    shared: int = Field(default=0, ge=0)
    messages: list[dict[str, Any]]
    response: ModelResponse


class AskEvent(_Model):
    type: Literal["ask"] = "ask"
    questions: list[Question]
    answers: list[Answer]


class ReviewEvent(_Model):
    type: Literal["review"] = "review"
    plan_id: str
    revision: int
    plan_digest: str  # sha256 of the Markdown presented
    decision: ReviewDecision


class ConfirmEvent(_Model):
    """A tool call the policy sent to the person, and their answer (with any denial reason)."""

    type: Literal["confirm"] = "confirm"
    tool: str
    args: dict[str, Any]
    reason: str
    confirmation: Confirmation


HumanEvent = AskEvent | ReviewEvent | ConfirmEvent
Entry = Annotated[ModelTurn | AskEvent | ReviewEvent | ConfirmEvent, Field(discriminator="type")]


class TranscriptError(ValueError):
    """A transcript file that cannot be read or written; the message names it."""


class TranscriptMissing(RuntimeError):
    """``replay='always'`` and no transcript matches this run."""


class Transcript(_Model):
    """One plan revision's or build's recording. ``key`` says which inputs it answers."""

    format: Literal[1] = 1
    kind: TranscriptKind = "plan"
    key: str
    plan_id: str | None = None
    revision: int | None = None
    cell: str | None = None  # the %%plan cell's id: a recording "for this plan" without --id
    settings: dict[str, Any] = Field(default_factory=dict)  # model, api_base, … (redacted)
    created: datetime = Field(default_factory=now)
    entries: list[Entry] = Field(default_factory=list)
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """Where it was loaded from or last saved to."""
        return self._path

    @property
    def model_turns(self) -> list[ModelTurn]:
        return [e for e in self.entries if isinstance(e, ModelTurn)]

    @property
    def human_events(self) -> list[HumanEvent]:
        return [e for e in self.entries if not isinstance(e, ModelTurn)]

    @model_validator(mode="after")
    def _turns_chain(self) -> Transcript:
        size = 0
        for number, turn in enumerate(self.model_turns, start=1):
            if turn.turn != number or turn.shared > size:
                raise ValueError(f"model turn {turn.turn} is out of order or shares too much")
            size = turn.shared + len(turn.messages)
        return self

    def messages_at(self, turn: int) -> list[dict[str, Any]]:
        """The full (redacted) messages of model turn ``turn`` (1-based)."""
        messages: list[dict[str, Any]] = []
        for recorded in self.model_turns[:turn]:
            messages = messages[: recorded.shared] + recorded.messages
        return messages

    def to_json(self, secrets: Iterable[str | SecretStr | None] = ()) -> str:
        """Indented JSON, sorted keys, one block per entry; every secret redacted."""
        values = secret_values(secrets)
        data = self.model_dump(mode="json")
        data["settings"] = redact_with(data["settings"], values)
        data["entries"] = [
            {k: v if k in _STRUCTURAL else redact_with(v, values) for k, v in entry.items()}
            for entry in data["entries"]
        ]
        try:  # a redaction must never make the file unreadable
            Transcript.model_validate(data)
        except ValidationError as exc:
            raise TranscriptError(f"the redacted transcript is invalid: {exc}") from None
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for value in values:  # belt and braces: real keys are long
            if len(value) >= 8 and (value in text or json.dumps(value)[1:-1] in text):
                raise TranscriptError("a secret survived redaction; nothing was written")
        return text

    def save(self, path: Path, *, secrets: Iterable[str | SecretStr | None] = ()) -> Path:
        """Write atomically; pass the API key (and any other secret) in ``secrets``."""
        text = self.to_json(secrets)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
        self._path = path
        return path

    @classmethod
    def load(cls, path: Path) -> Transcript:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TranscriptError(f"{path}: cannot read the transcript: {exc}") from None
        if isinstance(data, dict) and data.get("format") != FORMAT:
            raise TranscriptError(
                f"{path}: format {data.get('format')!r}; this jupyter-plan reads {FORMAT}"
            )
        try:
            transcript = cls.model_validate(data)
        except ValidationError as exc:
            raise TranscriptError(f"{path}: not a valid transcript: {exc}") from None
        transcript._path = path
        return transcript


# -- keys, paths and the replay decision --------------------------------------------


def transcript_key(
    task: str,
    settings: Mapping[str, Any],
    context: Any,
    *,
    kind: TranscriptKind = "plan",
    parent: str | None = None,
) -> str:
    """A hash of what a run depends on: the task, model settings and the notebook context.

    ``context`` is anything JSON-able (an outline string, a pydantic snapshot). Key-like
    settings are left out, so a rotated API key still replays. Chain runs with ``parent``:
    an Iterate revision uses the previous revision's key and the feedback as ``task``.
    """
    body = {
        "format": FORMAT,
        "kind": kind,
        "task": task,
        "settings": _public(to_jsonable_python(dict(settings))),
        "context": to_jsonable_python(context),
        "parent": parent,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return digest(text)


def _public(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if not is_secret_name(str(k))}
    return [_public(v) for v in value] if isinstance(value, list) else value


def transcript_path(
    plan_dir: Path, plan_id: str, revision: int, kind: TranscriptKind = "plan"
) -> Path:
    """``<plan_dir>/<id>/transcript.r<N>.json`` or ``<plan_dir>/<id>/build.r<N>.json``."""
    name = FILE_NAMES[kind]
    return confine(f"{check_id(plan_id)}/{name}.r{int(revision)}.json", plan_dir)


@dataclass(frozen=True)
class Lookup:
    """What :func:`find_transcript` found for a key; ``broken`` lists unreadable candidates."""

    key: str
    plan_dir: Path
    path: Path | None = None
    broken: tuple[str, ...] = ()


def find_transcript(
    plan_dir: Path, key: str, *, kind: TranscriptKind = "plan", plan_id: str | None = None
) -> Lookup:
    """The newest transcript of ``kind`` recorded for ``key`` (``plan_id``'s own first)."""
    pattern = f"*/{FILE_NAMES[kind]}.r*.json"
    found: list[tuple[bool, datetime, Path]] = []
    broken: list[str] = []
    for path in sorted(Path(plan_dir).glob(pattern)):
        try:
            if key not in path.read_text(encoding="utf-8"):
                continue  # cheap filter before parsing
            transcript = Transcript.load(path)
        except (OSError, UnicodeDecodeError, TranscriptError) as exc:
            broken.append(str(exc))
            continue
        if transcript.key == key and transcript.kind == kind:
            mine = plan_id is not None and transcript.plan_id == plan_id
            found.append((mine, transcript.created, path))
    best = max(found, key=lambda f: (f[0], f[1]))[2] if found else None
    return Lookup(key, Path(plan_dir), best, tuple(broken))


def nearest_transcript(
    plan_dir: Path,
    *,
    kind: TranscriptKind,
    plan_id: str | None,
    task: str,
    context: str,
    cell: str | None = None,
    revision: int | None = None,
    loose: bool = True,
) -> Path | None:
    """The recording this run most likely replays, though its key no longer matches.

    Recordings of this plan: its ``plan_id`` (a build's plan and ``revision``, ``%%plan
    --id``), or without one, those made from the same ``%%plan`` ``cell``; and when
    ``loose`` (no model can answer anyway), without either, plan recordings made on the same
    notebook. The one whose first request is closest to ``task`` + ``context``. Replaying it
    stops at the first turn with a diff of what changed, instead of calling a model.
    """
    import difflib

    pattern = f"*/{FILE_NAMES[kind]}.r*.json"
    notebook = context.split(":", 1)[0] if context.startswith("Notebook outline of ") else ""
    wanted = f"{task}\n{context}"
    best: tuple[float, datetime, Path] | None = None
    for path in sorted(Path(plan_dir).glob(pattern)):
        try:
            recorded = Transcript.load(path)
        except TranscriptError:
            continue
        if recorded.kind != kind or not recorded.model_turns:
            continue
        if plan_id is not None and recorded.plan_id != plan_id:
            continue
        if revision is not None and recorded.revision != revision:
            continue
        if plan_id is None and not loose and (cell is None or recorded.cell != cell):
            continue
        first = " ".join(
            str(m.get("content") or "") for m in recorded.messages_at(1) if m.get("role") == "user"
        )
        if plan_id is None and notebook not in first:
            continue
        score = difflib.SequenceMatcher(None, first, wanted, autojunk=False).quick_ratio()
        if best is None or (score, recorded.created) > best[:2]:
            best = (score, recorded.created, path)
    return best[2] if best else None


@dataclass(frozen=True)
class ReplayChoice:
    replay: bool  # False: call the model live and record a new transcript
    transcript: Path | None
    reason: str


def choose_replay(mode: ReplayMode, lookup: Lookup) -> ReplayChoice:
    """``never``: live. ``auto``: replay a matching transcript, else live. ``always``: replay
    or raise :class:`TranscriptMissing`. Live runs always record."""
    if mode == "never":
        return ReplayChoice(False, None, "replay='never': calling the model")
    if lookup.path is not None:
        return ReplayChoice(True, lookup.path, f"replaying {lookup.path}")
    broken = "".join(f"\n  unreadable: {b}" for b in lookup.broken)
    if mode == "always":
        raise TranscriptMissing(
            f"replay='always' but no transcript in {lookup.plan_dir} matches this run (key "
            f"{lookup.key[:12]}): the task, model settings or notebook changed since it was "
            f"recorded, or it never was. Set replay to 'auto' or 'never' to call the model."
            + broken
        )
    return ReplayChoice(False, None, "no matching transcript: calling the model" + broken)
