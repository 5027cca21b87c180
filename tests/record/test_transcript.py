"""Record a run, replay it offline with identical results, and report drift usefully."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from jupyter_plan.agent.client import ModelRequest
from jupyter_plan.agent.human import NeedsPerson, NoHuman
from jupyter_plan.agent.replay import (
    RecordingClient,
    RecordingHuman,
    ReplayClient,
    ReplayDrift,
    ReplayHuman,
)
from jupyter_plan.models import (
    Answer,
    ApprovalRequest,
    Confirmation,
    ModelResponse,
    Option,
    Plan,
    Question,
    ReviewDecision,
    Revision,
    ToolCall,
    Usage,
)
from jupyter_plan.record.transcript import (
    AskEvent,
    ConfirmEvent,
    Lookup,
    ModelTurn,
    ReviewEvent,
    Transcript,
    TranscriptError,
    TranscriptMissing,
    choose_replay,
    find_transcript,
    nearest_transcript,
    transcript_key,
    transcript_path,
)
from jupyter_plan.redaction import REDACTED, is_secret_name, redact

KEY = "sk-proj-Abc123Def456Ghi789Jkl012Mno345"
TOOLS = [
    {"type": "function", "function": {"name": n, "description": n, "parameters": {}}}
    for n in ("read_cell", "ask_user", "exit_plan_mode")
]
QUESTION = Question(
    question="Which file?",
    header="File",
    options=[Option(label="sales.csv"), Option(label="sales.parquet")],
)


def call(name: str, arguments: str = "{}", n: int = 1) -> ToolCall:
    return ToolCall(id=f"call_{n}", name=name, arguments=arguments)


SCRIPT = [
    ModelResponse(
        tool_calls=[call("read_cell", '{"cell_id": "c1"}')], usage=Usage(prompt_tokens=10)
    ),
    ModelResponse(content="One question first.", tool_calls=[call("ask_user", n=2)]),
    ModelResponse(content="# Plan\n\n## Steps\n", tool_calls=[call("exit_plan_mode", n=3)]),
]


class ScriptedModel:
    """A ModelClient that answers from a list; the tests never reach a real model."""

    def __init__(self, responses: list[ModelResponse]) -> None:
        self.responses = list(responses)
        self.requests: list[ModelRequest] = []

    async def complete(self, request: ModelRequest, *, on_text: Any = None) -> ModelResponse:
        self.requests.append(request)
        response = self.responses.pop(0)
        if on_text is not None and response.content:
            on_text(response.content)
        return response


class ScriptedHuman:
    def __init__(self, decision: ReviewDecision | None = None) -> None:
        self.decision = decision or ReviewDecision(action="approve", build_mode="auto_edit")
        self.calls: list[str] = []

    async def ask(self, questions: list[Question]) -> list[Answer]:
        self.calls.append("ask")
        return [Answer(header=q.header, selected=[q.options[0].label]) for q in questions]

    async def review(self, plan: Plan) -> ReviewDecision:
        self.calls.append("review")
        return self.decision

    async def confirm(self, request: ApprovalRequest) -> Confirmation:
        self.calls.append("confirm")
        return Confirmation(allow=True)


def approval(tool: str, args: dict[str, Any], reason: str) -> ApprovalRequest:
    return ApprovalRequest(tool=tool, args=args, reason=reason)


async def run(
    client: Any, human: Any, *, task: str = "Clean sales.csv", cell: str = "x = 1"
) -> dict[str, Any]:
    """A miniature agent loop: enough to drive the record/replay wrappers like the real one."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You plan.\nRead-only."},
        {"role": "user", "content": task},
    ]
    texts: list[str] = []
    responses = []
    while True:
        request = ModelRequest(model="openai/gpt-4o", messages=list(messages), tools=TOOLS)
        response = await client.complete(request, on_text=texts.append)
        responses.append(response)
        messages.append({"role": "assistant", "content": response.content or None})
        if not response.tool_calls:
            break
        for tc in response.tool_calls:
            if tc.name == "read_cell":
                result = cell
            elif tc.name == "ask_user":
                answers = await human.ask([QUESTION])
                result = answers[0].summary()
            else:
                answer = await human.confirm(
                    approval("write_file", {"path": "plan.md"}, "plan file")
                )
                allowed = answer.allow
                plan = Plan(
                    id="p",
                    title="Plan",
                    goal=task,
                    revisions=[Revision(number=1, markdown=response.content)],
                )
                decision = await human.review(plan)
                return {"responses": responses, "texts": texts, "decision": decision, "ok": allowed}
            messages.append({"role": "tool", "tool_call_id": tc.id, "content": result})
    return {"responses": responses, "texts": texts}


async def record(tmp_path: Path, **kw: Any) -> tuple[Transcript, Path, dict[str, Any]]:
    transcript = Transcript(key="k1", plan_id="p", revision=1, settings={"model": "openai/gpt-4o"})
    live = await run(
        RecordingClient(ScriptedModel(SCRIPT), transcript),
        RecordingHuman(ScriptedHuman(), transcript),
        **kw,
    )
    path = transcript.save(transcript_path(tmp_path, "p", 1))
    return transcript, path, live


# -- record and replay ---------------------------------------------------------------------


async def test_replay_gives_identical_results_offline(tmp_path: Path) -> None:
    transcript, path, live = await record(tmp_path)
    assert path == tmp_path / "p" / "transcript.r1.json"
    loaded = Transcript.load(path)
    assert loaded == transcript and loaded.path == path
    client, human = ReplayClient(loaded), ReplayHuman(loaded)
    replayed = await run(client, human)
    assert replayed == live  # same responses, streamed text, answers and decision
    client.check_complete()
    assert [type(e) for e in loaded.entries] == [
        ModelTurn,
        ModelTurn,
        AskEvent,
        ModelTurn,
        ConfirmEvent,
        ReviewEvent,
    ]


async def test_the_file_is_plain_sorted_json(tmp_path: Path) -> None:
    _, path, _ = await record(tmp_path)
    text = path.read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    first = data["entries"][0]
    assert first["type"] == "model" and first["turn"] == 1
    assert first["tools"] == ["read_cell", "ask_user", "exit_plan_mode"]
    assert first["messages"][1] == {"role": "user", "content": "Clean sales.csv"}
    assert first["fingerprint"] and first["response"]["tool_calls"][0]["name"] == "read_cell"
    second = data["entries"][1]  # only what is new since turn 1: the reply and the tool result
    assert second["shared"] == 2 and [m["role"] for m in second["messages"]] == [
        "assistant",
        "tool",
    ]
    assert data["entries"][2]["answers"] == [
        {"header": "File", "selected": ["sales.csv"], "text": None}
    ]
    assert data["entries"][-1]["decision"]["action"] == "approve"


def test_paths() -> None:
    root = Path("/tmp/plans")
    assert transcript_path(root, "p", 2) == root / "p" / "transcript.r2.json"
    assert transcript_path(root, "p", 2, "build") == root / "p" / "build.r2.json"
    with pytest.raises(ValueError, match="invalid plan id"):
        transcript_path(root, "../x", 1)


# -- drift ---------------------------------------------------------------------------------


async def test_drift_names_the_turn_and_shows_a_diff(tmp_path: Path) -> None:
    _, path, _ = await record(tmp_path)
    with pytest.raises(ReplayDrift) as info:
        await run(
            ReplayClient(Transcript.load(path)), ReplayHuman(Transcript.load(path)), cell="x = 2"
        )
    drift = info.value
    assert drift.turn == 2 and drift.what == "model"  # turn 1 matched; the read result changed
    text = str(drift)
    first, *rest = text.split("\n")
    assert first.startswith("replay drift at model turn 2 of the plan 'p' revision 1: ")
    assert first.endswith(f"(transcript {path})")
    assert "--- recorded" in rest and "-    x = 1" in rest and "+    x = 2" in rest  # whole lines
    assert rest[-1].startswith("To fix: ") and "%%plan --live" in rest[-1]
    assert drift.diff.startswith("--- recorded") and drift.fix in rest[-1]  # one report, parts


CHART = "Cell 'c2' ran: ok\nout: [image/png] <Figure size 800x400 with 1 Axes>\nout: 58 rows"


async def test_a_display_only_difference_replays_with_a_warning(tmp_path: Path) -> None:
    _, path, live = await record(tmp_path, cell=CHART)
    no_png = CHART.replace("out: [image/png] <Figure size 800x400 with 1 Axes>\n", "")
    client = ReplayClient(Transcript.load(path))
    replayed = await run(client, ReplayHuman(Transcript.load(path)), cell=no_png)
    assert replayed == live  # the recorded actions, all of them
    (warning,) = client.warnings
    assert warning.startswith("cell 'c2': the display output 'out: [image/png] <Figure")
    assert "MPLBACKEND=Agg" in warning


async def test_a_changed_value_beside_a_display_difference_is_drift(tmp_path: Path) -> None:
    _, path, _ = await record(tmp_path, cell=CHART)
    changed = CHART.replace("out: [image/png] <Figure size 800x400 with 1 Axes>\n", "")
    with pytest.raises(ReplayDrift, match="model turn 2") as info:
        await run(
            ReplayClient(Transcript.load(path)),
            ReplayHuman(Transcript.load(path)),
            cell=changed.replace("58 rows", "57 rows"),
        )
    assert "-    out: 58 rows" in str(info.value) and "+    out: 57 rows" in str(info.value)


def test_the_nearest_recording_is_this_plans_own(tmp_path: Path) -> None:
    for name, cell in (("a", "cell-a"), ("b", "cell-b")):
        transcript = Transcript(key=name, plan_id=name, revision=1, cell=cell)
        transcript.entries.append(
            ModelTurn(turn=1, fingerprint="f", model="m", messages=[], response=ModelResponse())
        )
        transcript.save(transcript_path(tmp_path, name, 1))
    near = partial(nearest_transcript, tmp_path, kind="plan", plan_id=None, task="t", context="c")
    assert near(cell="cell-b", loose=False) == transcript_path(tmp_path, "b", 1)
    assert near(cell="cell-new", loose=False) is None  # a new %%plan cell: it plans live
    assert near(cell=None, loose=False) is None


async def test_drift_at_the_first_turn_names_the_task(tmp_path: Path) -> None:
    _, path, _ = await record(tmp_path)
    with pytest.raises(ReplayDrift, match="model turn 1") as info:
        await run(ReplayClient(Transcript.load(path)), ScriptedHuman(), task="Clean sales.parquet")
    assert "-    Clean sales.csv" in str(info.value) and "+    Clean sales.parquet" in str(
        info.value
    )


async def test_drift_reports_model_and_tool_changes(tmp_path: Path) -> None:
    transcript, _, _ = await record(tmp_path)
    replay = ReplayClient(transcript)
    request = ModelRequest(
        model="anthropic/claude",
        messages=transcript.messages_at(1),
        tools=[*TOOLS[:2], {"type": "function", "function": {"name": "shell"}}],
    )
    with pytest.raises(ReplayDrift) as info:
        await replay.complete(request)
    text = str(info.value)
    assert "model: 'openai/gpt-4o' recorded, 'anthropic/claude' now" in text
    assert "added ['shell'], removed ['exit_plan_mode']" in text


async def test_drift_when_only_tool_schemas_change(tmp_path: Path) -> None:
    transcript, _, _ = await record(tmp_path)
    tools = [dict(TOOLS[0], function={"name": "read_cell", "parameters": {"x": 1}}), *TOOLS[1:]]
    request = ModelRequest(model="openai/gpt-4o", messages=transcript.messages_at(1), tools=tools)
    with pytest.raises(ReplayDrift, match="tool definitions"):
        await ReplayClient(transcript).complete(request)


async def test_past_the_end_is_drift(tmp_path: Path) -> None:
    transcript, _, _ = await record(tmp_path)
    client = ReplayClient(transcript)
    for n, turn in enumerate(transcript.model_turns, start=1):
        request = ModelRequest(model=turn.model, messages=transcript.messages_at(n), tools=TOOLS)
        await client.complete(request)
    with pytest.raises(ReplayDrift, match=r"model turn 4.*the recording has 3") as info:
        await client.complete(request)
    assert info.value.turn == 4


async def test_ending_early_is_drift(tmp_path: Path) -> None:
    transcript, _, _ = await record(tmp_path)
    client = ReplayClient(transcript)
    turn = transcript.model_turns[0]
    await client.complete(
        ModelRequest(model=turn.model, messages=transcript.messages_at(1), tools=TOOLS)
    )
    with pytest.raises(
        ReplayDrift, match=r"model turn 2.*ended after 1 turns; the recording has 3"
    ):
        client.check_complete()


# -- the person ------------------------------------------------------------------------------


async def test_replayed_person_answers_without_a_person(tmp_path: Path) -> None:
    transcript, _, _ = await record(tmp_path)
    human = ReplayHuman(transcript)  # no fallback: nobody is asked
    assert await human.ask([QUESTION]) == [Answer(header="File", selected=["sales.csv"])]
    assert (
        await human.confirm(approval("write_file", {"path": "plan.md"}, "a different reason"))
    ).allow is True
    plan = Plan(
        id="new-id", title="T", goal="g", revisions=[Revision(number=1, markdown=SCRIPT[2].content)]
    )
    decision = await human.review(plan)
    assert decision == ReviewDecision(action="approve", build_mode="auto_edit")
    with pytest.raises(
        ReplayDrift,
        match=r"person event 4 .*: the run asks a review of revision 1; the recording has 3",
    ):
        await human.review(plan)


async def test_person_drift(tmp_path: Path) -> None:
    transcript, _, _ = await record(tmp_path)
    human = ReplayHuman(transcript)
    with pytest.raises(
        ReplayDrift,
        match=r"person event 1 .*: the run asks a review of revision 0 but the recording has "
        r"questions \(File\)",
    ):
        await human.review(Plan(id="p", title="t", goal="g"))
    human = ReplayHuman(transcript)
    other = QUESTION.model_copy(update={"header": "Format"})
    with pytest.raises(
        ReplayDrift, match=r"questions \(Format\) but the recording has questions \(File\)"
    ):
        await human.ask([other])
    human = ReplayHuman(transcript)
    await human.ask([QUESTION])
    with pytest.raises(ReplayDrift, match="confirm write_file"):
        await human.confirm(approval("write_file", {"path": "elsewhere.md"}, "plan file"))
    human.used = 2  # the review, with a different plan presented
    changed = Plan(id="p", title="t", goal="g", revisions=[Revision(number=1, markdown="# Other")])
    with pytest.raises(ReplayDrift, match=r"plan presented for review .* differs"):
        await human.review(changed)


async def test_past_the_end_asks_the_fallback_and_can_record_it(tmp_path: Path) -> None:
    transcript = Transcript(key="k")  # recorded up to the question; the review never happened
    transcript.entries.append(
        AskEvent(questions=[QUESTION], answers=[Answer(header="File", text="x")])
    )
    person = ScriptedHuman()
    human = ReplayHuman(transcript, fallback=RecordingHuman(person, transcript))
    assert (await human.ask([QUESTION]))[0].text == "x"
    plan = Plan(id="p", title="t", goal="g")
    assert (await human.review(plan)).action == "approve"
    assert (await human.confirm(approval("shell", {"command": "ls"}, "r"))).allow is True
    assert person.calls == ["review", "confirm"]
    assert [e.type for e in transcript.human_events] == ["ask", "review", "confirm"]
    with pytest.raises(NeedsPerson):  # headless: NoHuman as the fallback stops clearly
        await ReplayHuman(Transcript(key="k"), fallback=NoHuman()).review(plan)


# -- secrets -------------------------------------------------------------------------------


async def test_keys_never_reach_the_file(tmp_path: Path) -> None:
    short_key = "local-proxy-key-42"  # not shaped like a provider key: only `secrets` catches it
    transcript = Transcript(
        key="k",
        settings={
            "model": "openai/gpt-4o",
            "api_base": f"https://user:{short_key}@proxy.example/v1",
            "api_key": SecretStr(KEY).get_secret_value(),
            "extra_headers": {"Authorization": f"Bearer {KEY}", "X-Api-Key": short_key},
        },
    )
    model = ScriptedModel([ModelResponse(content=f"I see your key {KEY} and {short_key}.")])
    client = RecordingClient(model, transcript)
    request = ModelRequest(
        model="openai/gpt-4o",
        api_base="https://user:pw@proxy.example/v1",
        messages=[
            {"role": "user", "content": f"my key is {KEY}; proxy key {short_key}"},
            {"role": "user", "content": "x", "headers": {"authorization": f"Bearer {short_key}"}},
        ],
    )
    live = await client.complete(request)
    assert KEY in live.content  # the live run is not altered, only what is recorded
    human = RecordingHuman(ScriptedHuman(), transcript)
    await human.confirm(
        approval("shell", {"command": "curl", "token": short_key}, f"uses {short_key}")
    )
    path = transcript.save(tmp_path / "t.json", secrets=[SecretStr(short_key), None])
    text = path.read_text()
    for secret in (KEY, short_key, "user:pw@"):
        assert secret not in text
    data = json.loads(text)
    assert data["settings"]["api_key"] == REDACTED
    assert data["settings"]["extra_headers"] == {"Authorization": REDACTED, "X-Api-Key": REDACTED}
    turn = data["entries"][0]
    assert turn["messages"][0]["content"] == f"my key is {REDACTED}; proxy key {REDACTED}"
    assert turn["messages"][1]["headers"] == {"authorization": REDACTED}
    assert turn["api_base"] == f"https://{REDACTED}@proxy.example/v1"
    assert data["entries"][1]["args"]["token"] == REDACTED


async def test_a_redacted_response_still_replays(tmp_path: Path) -> None:
    """The model echoed a key: the recording holds [REDACTED], and the next turn still matches."""
    script = [
        ModelResponse(content=f"key {KEY}", tool_calls=[call("read_cell")]),
        ModelResponse(content="done"),
    ]
    transcript = Transcript(key="k")
    await run(RecordingClient(ScriptedModel(script), transcript), ScriptedHuman())
    loaded = Transcript.load(transcript.save(tmp_path / "t.json"))
    replayed = await run(ReplayClient(loaded), ScriptedHuman())
    assert [r.content for r in replayed["responses"]] == [f"key {REDACTED}", "done"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("basic statistics on bearer bonds", True),
        ("a sk-learn-compatible-estimator-interface", True),
        ("postgresql://localhost/db", True),
        (f"Authorization: Bearer {KEY}", False),
        ("token AIzaSyA1234567890abcdefghijklmnopqrstuv", False),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc123", False),
    ],
)
def test_pattern_redaction_is_narrow(text: str, kept: bool) -> None:
    assert (redact(text) == text) is kept


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True),
        ("OPENAI_API_KEY", True),
        ("x-api-key", True),
        ("Authorization", True),
        ("access_token", True),
        ("password", True),
        ("prompt_tokens", False),
        ("max_tokens", False),
        ("key", False),
        ("author", False),
        ("header", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_a_secret_that_survives_is_never_written(tmp_path: Path) -> None:
    # Ids and hashes are never rewritten; a secret hiding there stops the save.
    transcript = Transcript(key="k", plan_id="plan-named-hunter22")
    target = tmp_path / "t.json"
    with pytest.raises(TranscriptError, match="survived redaction"):
        transcript.save(target, secrets=["hunter22"])
    assert not target.exists()


# -- keys, lookup and the replay decision ------------------------------------------------------


def test_transcript_key() -> None:
    base = transcript_key("task", {"model": "m", "api_base": None}, {"cells": ["x = 1"]})
    assert base == transcript_key("task", {"model": "m", "api_base": None}, {"cells": ["x = 1"]})
    assert len(base) == 64
    assert base == transcript_key(
        "task", {"model": "m", "api_base": None, "api_key": "new"}, {"cells": ["x = 1"]}
    )
    others = {
        transcript_key("task 2", {"model": "m", "api_base": None}, {"cells": ["x = 1"]}),
        transcript_key("task", {"model": "m2", "api_base": None}, {"cells": ["x = 1"]}),
        transcript_key("task", {"model": "m", "api_base": "http://h"}, {"cells": ["x = 1"]}),
        transcript_key("task", {"model": "m", "api_base": None}, {"cells": ["x = 2"]}),
        transcript_key(
            "task", {"model": "m", "api_base": None}, {"cells": ["x = 1"]}, kind="build"
        ),
        transcript_key("task", {"model": "m", "api_base": None}, {"cells": ["x = 1"]}, parent=base),
    }
    assert base not in others and len(others) == 6


async def test_find_transcript(tmp_path: Path) -> None:
    older = Transcript(key="k" * 64, plan_id="a", created="2026-01-01T00:00:00Z")
    newer = Transcript(key="k" * 64, plan_id="b", created="2026-02-01T00:00:00Z")
    orphan = Transcript(key="k" * 64, plan_id=None, created="2025-12-01T00:00:00Z")
    older.save(transcript_path(tmp_path, "a", 1))
    newer.save(transcript_path(tmp_path, "b", 1))
    orphan.save(transcript_path(tmp_path, "o", 1))
    Transcript(key="k" * 64, kind="build").save(transcript_path(tmp_path, "b", 1, "build"))
    broken = transcript_path(tmp_path, "c", 1)
    broken.parent.mkdir()
    broken.write_text('{"key": "' + "k" * 64 + '", truncated')
    found = find_transcript(tmp_path, "k" * 64)
    assert found.path == transcript_path(tmp_path, "b", 1)
    assert len(found.broken) == 1 and str(broken) in found.broken[0]
    assert find_transcript(tmp_path, "k" * 64, plan_id="a").path == transcript_path(
        tmp_path, "a", 1
    )
    assert find_transcript(tmp_path, "k" * 64, kind="build").path == transcript_path(
        tmp_path, "b", 1, "build"
    )
    assert find_transcript(tmp_path, "z" * 64).path is None
    assert find_transcript(tmp_path / "missing", "k").path is None


@pytest.mark.parametrize(
    ("mode", "found", "replay"),
    [
        ("never", True, False),
        ("never", False, False),
        ("auto", True, True),
        ("auto", False, False),
        ("always", True, True),
    ],
)
def test_replay_decision_table(tmp_path: Path, mode: Any, found: bool, replay: bool) -> None:
    path = tmp_path / "p" / "transcript.r1.json" if found else None
    choice = choose_replay(mode, Lookup("k" * 64, tmp_path, path))
    assert choice.replay is replay
    assert choice.transcript == (path if replay else None)


def test_always_without_a_transcript_is_an_error(tmp_path: Path) -> None:
    lookup = Lookup("abcdef123456" + "0" * 52, tmp_path, None, ("p/transcript.r1.json: not JSON",))
    with pytest.raises(TranscriptMissing) as info:
        choose_replay("always", lookup)
    text = str(info.value)
    assert "replay='always'" in text and str(tmp_path) in text and "abcdef123456" in text
    assert "'auto' or 'never'" in text and "unreadable: p/transcript.r1.json" in text


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "cannot read"),
        ('{"format": 2, "key": "k"}', "format 2"),
        ('{"format": 1, "key": "k", "entries": [{"type": "model"}]}', "not a valid transcript"),
        (
            '{"format": 1, "key": "k", "entries": [{"type": "model", "turn": 1, "shared": 3, '
            '"fingerprint": "f", "model": "m", "messages": [], "response": {}}]}',
            "shares too much",
        ),
    ],
)
def test_load_errors_name_the_file(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(TranscriptError, match=problem) as info:
        Transcript.load(path)
    assert str(path) in str(info.value)
