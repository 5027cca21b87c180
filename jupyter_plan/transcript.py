"""Record and replay model turns and a person's answers, so a plan re-runs offline.

A :class:`Transcript` holds one plan revision or one build: the model turns (request
fingerprint, the request's messages and tool names, the response) and the human events
(questions → answers, review → decision, tool confirmations), in order. The ``Recording*``
wrappers fill it during a live run; the ``Replay*`` ones answer from it with no model, no key
and no network, and raise :class:`ReplayDrift` as soon as the run asks something else
(past the recorded person events, :class:`ReplayHuman` may ask a live ``fallback`` instead).

Secrets never reach a file: fields named like keys or auth headers, values shaped like
provider keys, and every secret passed to :meth:`Transcript.save` are replaced by
``[REDACTED]``. Fingerprints are taken of the redacted request, so a replayed response whose
key was redacted still matches the next recorded request.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

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

from jupyter_plan.agent.client import ModelClient, ModelRequest, OnText
from jupyter_plan.agent.human import Human
from jupyter_plan.models import Answer, ModelResponse, Plan, Question, ReviewDecision, now
from jupyter_plan.policy.paths import confine
from jupyter_plan.settings import ReplayMode
from jupyter_plan.storage import check_id, write_atomic

FORMAT = 1
REDACTED = "[REDACTED]"
TranscriptKind = Literal["plan", "build"]
FIX = "re-plan live with replay='never', or re-record (delete the transcript and run again)"

# -- redaction ----------------------------------------------------------------------

_SECRET_NAME = re.compile(
    r"(?:^|_)(?:api_?key|secret|secret_key|client_secret|password|passwd|token|access_token|"
    r"refresh_token|id_token|auth_token|api_token|bearer|authorization|proxy_authorization|"
    r"auth|cookie|set_cookie|session_id|private_key|credentials?)$"
)
# Shapes of provider keys, so a key that slipped into text is caught without being named. Kept
# narrow (a prefix, a long random run with a digit): a false positive in a recorded response
# would make the replay differ from the live run.
_SECRET_VALUE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9_-]*[0-9])(?:sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}"
    r"|gsk_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})"
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+(?=[A-Za-z0-9._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{16,}")
_URL_USER = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@")
# Hashes and structure: never rewritten (a short secret must not corrupt a fingerprint).
_STRUCTURAL = frozenset({"type", "turn", "fingerprint", "plan_digest", "revision", "allowed"})


def is_secret_name(name: str) -> bool:
    """``api_key``, ``Authorization``, ``x-api-key``, ``OPENAI_API_KEY`` … (not ``max_tokens``)."""
    return bool(_SECRET_NAME.search(re.sub(r"[-\s]", "_", name.lower())))


def _secret_values(secrets: Iterable[str | SecretStr | None]) -> list[str]:
    values = {s.get_secret_value() if isinstance(s, SecretStr) else s for s in secrets}
    return sorted((v for v in values if v), key=len, reverse=True)  # longest first


def redact(value: Any, secrets: Iterable[str | SecretStr | None] = ()) -> Any:
    """A copy of a JSON-like value with every secret replaced by ``[REDACTED]``."""
    return _redact(value, _secret_values(secrets))


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        value = _SECRET_VALUE.sub(REDACTED, value)
        value = _BEARER.sub(rf"\1 {REDACTED}", value)
        return _URL_USER.sub(f"{REDACTED}@", value)
    if isinstance(value, Mapping):
        return {
            _redact(str(k), secrets): REDACTED
            if is_secret_name(str(k)) and v is not None
            else _redact(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v, secrets) for v in value]
    return value


def _fingerprint(request: ModelRequest) -> str:
    """The fingerprint of the request as it is recorded (redacted); see the module doc."""
    clean = ModelRequest(
        model=request.model,
        messages=redact(request.messages),
        tools=request.tools,
        api_base=redact(request.api_base),
    )
    return clean.fingerprint()


def _digest(text: str) -> str:
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
    type: Literal["confirm"] = "confirm"
    tool: str
    args: dict[str, Any]
    reason: str
    allowed: bool


HumanEvent = AskEvent | ReviewEvent | ConfirmEvent
Entry = Annotated[ModelTurn | AskEvent | ReviewEvent | ConfirmEvent, Field(discriminator="type")]
_EVENTS = (AskEvent, ReviewEvent, ConfirmEvent)


class TranscriptError(ValueError):
    """A transcript file that cannot be read or written; the message names it."""


class TranscriptMissing(RuntimeError):
    """``replay='always'`` and no transcript matches this run."""


class ReplayDrift(RuntimeError):
    """The replayed run asked something the recording does not hold.

    ``what`` is ``"model"`` or ``"person"``; ``turn`` the 1-based model turn or person event.
    """

    def __init__(self, what: str, turn: int, problem: str, path: Path | None) -> None:
        where = f" (transcript {path})" if path else ""
        label = "model turn" if what == "model" else "person event"
        super().__init__(f"replay drift at {label} {turn}{where}: {problem}\nTo fix: {FIX}.")
        self.what, self.turn, self.path = what, turn, path


class Transcript(_Model):
    """One plan revision's or build's recording. ``key`` says which inputs it answers."""

    format: Literal[1] = 1
    kind: TranscriptKind = "plan"
    key: str
    plan_id: str | None = None
    revision: int | None = None
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
        values = _secret_values(secrets)
        data = self.model_dump(mode="json")
        data["settings"] = _redact(data["settings"], values)
        data["entries"] = [
            {k: v if k in _STRUCTURAL else _redact(v, values) for k, v in entry.items()}
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
    return _digest(text)


def _public(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if not is_secret_name(str(k))}
    return [_public(v) for v in value] if isinstance(value, list) else value


def transcript_path(
    plan_dir: Path, plan_id: str, revision: int, kind: TranscriptKind = "plan"
) -> Path:
    """``<plan_dir>/<id>/transcript.r<N>.json`` or ``<plan_dir>/<id>/build.r<N>.json``."""
    name = "transcript" if kind == "plan" else "build"
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
    pattern = f"*/{'transcript' if kind == 'plan' else 'build'}.r*.json"
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


# -- recording ----------------------------------------------------------------------


def _clean(model: BaseModel) -> Any:
    return type(model).model_validate(redact(model.model_dump(mode="json")))


class RecordingClient:
    """Passes every turn to ``inner`` and records it (a failed turn is not recorded)."""

    def __init__(self, inner: ModelClient, transcript: Transcript) -> None:
        self.inner, self.transcript = inner, transcript

    async def complete(
        self, request: ModelRequest, *, on_text: OnText | None = None
    ) -> ModelResponse:
        response = await self.inner.complete(request, on_text=on_text)
        number = len(self.transcript.model_turns) + 1
        messages = redact(request.messages)
        previous = self.transcript.messages_at(number - 1)
        shared = 0
        while shared < min(len(previous), len(messages)) and previous[shared] == messages[shared]:
            shared += 1
        self.transcript.entries.append(
            ModelTurn(
                turn=number,
                fingerprint=_fingerprint(request),
                model=request.model,
                api_base=redact(request.api_base),
                tools=_tool_names(request.tools),
                shared=shared,
                messages=messages[shared:],
                response=_clean(response),
            )
        )
        return response


class RecordingHuman:
    """Passes every question, review and confirmation to ``inner`` and records the answer."""

    def __init__(self, inner: Human, transcript: Transcript) -> None:
        self.inner, self.transcript = inner, transcript

    async def ask(self, questions: list[Question]) -> list[Answer]:
        answers = await self.inner.ask(questions)
        event = AskEvent(questions=list(questions), answers=list(answers))
        self.transcript.entries.append(_clean(event))
        return answers

    async def review(self, plan: Plan) -> ReviewDecision:
        decision = await self.inner.review(plan)
        event = ReviewEvent(
            plan_id=plan.id,
            revision=plan.revision,
            plan_digest=_digest(plan.markdown),
            decision=decision,
        )
        self.transcript.entries.append(_clean(event))
        return decision

    async def confirm(self, tool: str, args: dict[str, Any], reason: str) -> bool:
        allowed = await self.inner.confirm(tool, args, reason)
        event = ConfirmEvent(tool=tool, args=args, reason=reason, allowed=allowed)
        self.transcript.entries.append(_clean(event))
        return allowed


# -- replay -------------------------------------------------------------------------


class _Replayer:
    what = "model"

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.used = 0  # turns (or person events) answered so far

    def _drift(self, problem: str, turn: int | None = None) -> NoReturn:
        raise ReplayDrift(self.what, turn or self.used, problem, self.transcript.path)


class ReplayClient(_Replayer):
    """Answers each turn with the recorded response, if the request is the recorded one."""

    async def complete(
        self, request: ModelRequest, *, on_text: OnText | None = None
    ) -> ModelResponse:
        turns = self.transcript.model_turns
        self.used += 1
        if self.used > len(turns):
            self._drift(f"the run asks for another model turn; the recording has {len(turns)}")
        recorded = turns[self.used - 1]
        if _fingerprint(request) != recorded.fingerprint:
            recorded_messages = self.transcript.messages_at(self.used)
            self._drift(
                "the request differs from the recording.\n"
                + _explain(recorded, recorded_messages, request)
            )
        response = recorded.response.model_copy(deep=True)
        if on_text is not None and response.content:
            on_text(response.content)
        return response

    def check_complete(self) -> None:
        """Raise :class:`ReplayDrift` if the run ended before using every recorded turn."""
        total = len(self.transcript.model_turns)
        if self.used < total:
            self._drift(
                f"the run ended after {self.used} turns; the recording has {total}", self.used + 1
            )


class ReplayHuman(_Replayer):
    """Answers from the recording; past its end asks ``fallback``, or raises drift without one."""

    what = "person"

    def __init__(self, transcript: Transcript, fallback: Human | None = None) -> None:
        super().__init__(transcript)
        self.fallback = fallback

    def _next(self, asked: str) -> HumanEvent | Human:
        """The next recorded event, or the fallback once the recording is used up."""
        events = self.transcript.human_events
        self.used += 1
        if self.used <= len(events):
            return events[self.used - 1]
        if self.fallback is None:
            self._drift(f"the run asks {asked}; the recording has {len(events)} person events")
        return self.fallback

    def _mismatch(self, asked: str, event: HumanEvent) -> NoReturn:
        self._drift(f"the run asks {asked} but the recording has {_describe(event)}")

    async def ask(self, questions: list[Question]) -> list[Answer]:
        asked = f"questions ({', '.join(q.header for q in questions)})"
        event = self._next(asked)
        if not isinstance(event, _EVENTS):
            return await event.ask(questions)
        if not isinstance(event, AskEvent) or [_clean(q) for q in questions] != event.questions:
            self._mismatch(asked, event)
        return [a.model_copy(deep=True) for a in event.answers]

    async def review(self, plan: Plan) -> ReviewDecision:
        asked = f"a review of revision {plan.revision}"
        event = self._next(asked)
        if not isinstance(event, _EVENTS):
            return await event.review(plan)
        if not isinstance(event, ReviewEvent):
            self._mismatch(asked, event)
        if _digest(plan.markdown) != event.plan_digest:
            self._drift(
                f"the plan presented for review (revision {plan.revision}) differs from the "
                f"one recorded (revision {event.revision})"
            )
        return event.decision.model_copy(deep=True)

    async def confirm(self, tool: str, args: dict[str, Any], reason: str) -> bool:
        asked = f"to confirm {tool} {redact(args)}"
        event = self._next(asked)
        if not isinstance(event, _EVENTS):
            return await event.confirm(tool, args, reason)
        live = (tool, redact(to_jsonable_python(args)))
        if not isinstance(event, ConfirmEvent) or live != (event.tool, event.args):
            self._mismatch(asked, event)
        return event.allowed


# -- drift reports ------------------------------------------------------------------


def _tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [str(t.get("function", {}).get("name") or t.get("name") or "?") for t in tools]


def _describe(event: HumanEvent) -> str:
    if isinstance(event, AskEvent):
        return f"questions ({', '.join(q.header for q in event.questions)})"
    if isinstance(event, ReviewEvent):
        return f"a review of revision {event.revision}"
    return f"a confirmation of {event.tool} {event.args}"


def _render(messages: list[dict[str, Any]]) -> list[str]:
    """Messages as lines, so a unified diff points at the changed text."""
    lines: list[str] = []
    for i, message in enumerate(messages, start=1):
        lines.append(f"[{i}] {message.get('role', '?')}")
        content = message.get("content")
        if isinstance(content, str):
            lines.extend(f"    {line}" for line in content.splitlines() or [""])
        elif content is not None:
            lines.append(f"    {json.dumps(content, sort_keys=True, ensure_ascii=False)}")
        for key in sorted(set(message) - {"role", "content"}):
            value = json.dumps(message[key], sort_keys=True, ensure_ascii=False)
            lines.append(f"    {key}: {value}")
    return lines


def _explain(
    recorded: ModelTurn, messages: list[dict[str, Any]], request: ModelRequest, limit: int = 40
) -> str:
    parts: list[str] = []
    if request.model != recorded.model:
        parts.append(f"model: {recorded.model!r} recorded, {request.model!r} now")
    api_base = redact(request.api_base)
    if api_base != recorded.api_base:
        parts.append(f"api_base: {recorded.api_base!r} recorded, {api_base!r} now")
    names = _tool_names(request.tools)
    if names != recorded.tools:
        added = sorted(set(names) - set(recorded.tools))
        removed = sorted(set(recorded.tools) - set(names))
        parts.append(f"tools: added {added or 'none'}, removed {removed or 'none'} (or reordered)")
    diff = list(
        difflib.unified_diff(
            _render(messages),
            _render(redact(request.messages)),
            "recorded",
            "now",
            n=2,
            lineterm="",
        )
    )
    if diff:
        shown = diff[:limit]
        if len(diff) > limit:
            shown.append(f"… ({len(diff) - limit} more diff lines)")
        parts.append("messages:\n" + "\n".join(f"  {line}" for line in shown))
    if not parts:
        parts.append("the tool definitions (descriptions or argument schemas) changed")
    return "\n".join(parts)
