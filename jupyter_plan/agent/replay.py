"""Record a live run's model turns and person events, and replay them offline.

The ``Recording*`` wrappers sit between the agent loop and the real model or person and
append what they answered to a :class:`~jupyter_plan.record.transcript.Transcript`; the ``Replay*``
ones answer from it with no model, no key and no network, and raise :class:`ReplayDrift` as
soon as the run asks something else (past the recorded person events, :class:`ReplayHuman`
may ask a live ``fallback`` instead). A drift names the turn and shows what changed.

Fingerprints are taken of the redacted request, so a replayed response whose key was
redacted still matches the next recorded request. This is the behaviour around the file;
``record/transcript.py`` is the file itself (format, keys, paths, whether to replay).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from jupyter_plan.agent.client import ModelClient, ModelRequest, OnText
from jupyter_plan.agent.human import Human
from jupyter_plan.agent.replay_match import display_only
from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    Confirmation,
    ModelResponse,
    Plan,
    Question,
    ReviewDecision,
)
from jupyter_plan.record.transcript import (
    AskEvent,
    ConfirmEvent,
    HumanEvent,
    ModelTurn,
    ReviewEvent,
    Transcript,
    digest,
)
from jupyter_plan.redaction import redact

CHOICES = (
    "if the change is meant, choose: re-plan live (calls the model and records anew: "
    '"Re-plan live" on the card, or run the cell as `%%plan --live …`), or keep the '
    'recorded plan as it is ("Keep the recorded plan", or `%%plan --recorded …`); '
    "otherwise undo the change"
)
_EVENTS = (AskEvent, ReviewEvent, ConfirmEvent)


class ReplayDrift(RuntimeError):
    """The replayed run asked something the recording does not hold.

    ``what`` is ``"model"`` or ``"person"``; ``turn`` the 1-based model turn or person event.
    The message is one report, shown whole: what drifted, the diff (``-`` recorded, ``+``
    now), and the fix.
    """

    whole = True  # shown whole where other errors show their first line

    def __init__(
        self,
        what: str,
        turn: int,
        problem: str,
        path: Path | None,
        *,
        plan_id: str | None = None,
        revision: int | None = None,
        kind: str = "plan",
    ) -> None:
        where = f" (transcript {path})" if path else ""
        label = "model turn" if what == "model" else "person event"
        run = ""
        if plan_id:
            run = f" of the {'build of ' if kind == 'build' else ''}plan {plan_id!r}"
            run += f" revision {revision}" if revision else ""
        fix = CHOICES
        if kind == "build":
            fix = fix.replace("re-plan live", "build live").replace("%%plan", "%build")
            fix = fix.split("), or keep")[0] + "); otherwise undo the change"
        head, _, diff = problem.partition("\n")
        text = f"replay drift at {label} {turn}{run}: {head}{where}"
        super().__init__(f"{text}\n{diff}\nTo fix: {fix}." if diff else f"{text}\nTo fix: {fix}.")
        self.what, self.turn, self.path = what, turn, path
        self.plan_id, self.revision, self.kind = plan_id, revision, kind
        self.summary, self.diff, self.fix = text, diff, fix


def _fingerprint(request: ModelRequest) -> str:
    """The fingerprint of the request as it is recorded (redacted); see the module doc."""
    clean = ModelRequest(
        model=request.model,
        messages=redact(request.messages),
        tools=request.tools,
        api_base=redact(request.api_base),
    )
    return clean.fingerprint()


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
            plan_digest=digest(plan.markdown),
            decision=decision,
        )
        self.transcript.entries.append(_clean(event))
        return decision

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        answer = await self.inner.confirm(request)
        event = ConfirmEvent(
            tool=request.tool, args=request.args, reason=request.reason, confirmation=answer
        )
        self.transcript.entries.append(_clean(event))
        return answer


# -- replay -------------------------------------------------------------------------


class _Replayer:
    what = "model"

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.used = 0  # turns (or person events) answered so far

    def _drift(self, problem: str, turn: int | None = None) -> NoReturn:
        t = self.transcript
        raise ReplayDrift(
            self.what,
            turn or self.used,
            problem,
            t.path,
            plan_id=t.plan_id,
            revision=t.revision,
            kind=t.kind,
        )


class ReplayClient(_Replayer):
    """Answers each turn with the recorded response, if the request is the recorded one
    (or differs from it in display data only: then with a warning, see
    :func:`~jupyter_plan.agent.replay_match.display_only`)."""

    def __init__(self, transcript: Transcript) -> None:
        super().__init__(transcript)
        self.warnings: list[str] = []

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
            same_rest = ModelRequest(
                model=request.model,
                messages=recorded_messages,
                tools=request.tools,
                api_base=redact(request.api_base),
            )
            passed = None
            if same_rest.fingerprint() == recorded.fingerprint:
                passed = display_only(recorded_messages, redact(request.messages))
            if passed is None:
                self._drift(
                    "the request differs from the recording.\n"
                    + _explain(recorded, recorded_messages, request)
                )
            self.warnings += [w for w in passed if w not in self.warnings]
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
        if digest(plan.markdown) != event.plan_digest:
            self._drift(
                f"the plan presented for review (revision {plan.revision}) differs from the "
                f"one recorded (revision {event.revision})"
            )
        return event.decision.model_copy(deep=True)

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        asked = f"to confirm {request.tool} {redact(request.args)}"
        event = self._next(asked)
        if not isinstance(event, _EVENTS):
            return await event.confirm(request)
        live = (request.tool, redact(to_jsonable_python(request.args)))
        if not isinstance(event, ConfirmEvent) or live != (event.tool, event.args):
            self._mismatch(asked, event)
        return event.confirmation.model_copy()


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
    if diff:  # the diff's own lines, unindented: "-" recorded, "+" now
        shown = diff[:limit]
        if len(diff) > limit:
            shown.append(f"… ({len(diff) - limit} more diff lines)")
        parts.append("\n".join(shown))
    if not parts:
        parts.append("the tool definitions (descriptions or argument schemas) changed")
    return "\n".join(parts)
