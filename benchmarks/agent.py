"""Agent figures.

    python benchmarks/agent.py [--turns 300]

(a) Model-layer overhead per turn: ``LiteLLMClient.complete`` against a bare
    ``litellm.acompletion`` (same streaming settings, server, messages and tools; the stream
    consumed in full), both talking to the zero-latency fake server on 127.0.0.1. Medians over
    many alternating turns; the ratio is ours / bare (target <= 1.10).
    A second row times one whole agent-loop turn (policy-filtered tool schemas, the request,
    the stream, the message history) against a bare call with the same messages and schemas.
(b) Context build times: ``benchmarks/context.py`` (its ``main()``), see the marked spot below.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")

from jupyter_plan.agent.client import ModelRequest
from jupyter_plan.agent.llm import LiteLLMClient, _litellm
from jupyter_plan.testing.fake_server import FakeModelServer, Text, ToolCalls, text, tool_calls

MODEL = "openai/fake"
KEY = "sk-bench"
TIMEOUT = 30.0
MESSAGES = [
    {"role": "system", "content": "You are a planning agent for a Jupyter notebook. " * 20},
    {"role": "user", "content": "Clean df_sales and plot monthly revenue by region."},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"The {name} tool.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "limit": {"type": "integer"}},
            },
        },
    }
    for name in ("list_cells", "read_cell", "read_file", "glob", "inspect_variable", "ask_user")
]
SHAPES: dict[str, Text | ToolCalls] = {
    "text, 40 chunks": text("The notebook loads sales data, then plots. " * 8, chunk_size=9),
    "3 tool calls": tool_calls(
        [
            ("read_cell", {"cell_id": "a1b2c3", "limit": 200}),
            ("inspect_variable", {"name": "df_sales"}),
            ("glob", {"pattern": "data/**/*.csv"}),
        ],
        fragment_size=8,
    ),
}


async def bare_turn(api_base: str, tools: list[dict[str, Any]] = TOOLS) -> None:
    """What a caller would do with litellm alone: one streamed call, consumed in full."""
    stream = await _litellm().acompletion(
        model=MODEL,
        messages=MESSAGES,
        tools=tools,
        api_base=api_base,
        api_key=KEY,
        stream=True,
        stream_options={"include_usage": True},
        timeout=TIMEOUT,
        max_retries=0,
        drop_params=True,
    )
    async for _chunk in stream:
        pass


async def timed(turn: Callable[[], Awaitable[Any]], samples: list[float]) -> None:
    start = time.perf_counter_ns()
    await turn()
    samples.append((time.perf_counter_ns() - start) / 1e6)


def always(shape: Text | ToolCalls) -> Callable[[dict[str, Any]], Text | ToolCalls]:
    return lambda _body: shape


async def measure(
    client: LiteLLMClient, shape: Text | ToolCalls, turns: int
) -> tuple[float, float]:
    """Median ms per turn: (bare litellm, LiteLLMClient)."""
    with FakeModelServer(always(shape)) as srv:
        request = ModelRequest(model=MODEL, messages=MESSAGES, tools=TOOLS, api_base=srv.base_url)

        async def ours() -> None:
            await client.complete(request)

        async def bare() -> None:
            await bare_turn(srv.base_url)

        for _ in range(20):  # warm up: lazy imports, connection pool, price lookups
            await bare()
            await ours()
        bare_ms: list[float] = []
        ours_ms: list[float] = []
        for i in range(turns):  # alternate the order, so drift (GC, other load) hits both alike
            await timed(bare if i % 2 else ours, bare_ms if i % 2 else ours_ms)
            await timed(ours if i % 2 else bare, ours_ms if i % 2 else bare_ms)
    return statistics.median(bare_ms), statistics.median(ours_ms)


async def part_a(turns: int) -> None:
    client = LiteLLMClient(api_key=KEY, timeout=TIMEOUT, max_retries=0)
    print(f"(a) model-layer overhead per turn, {turns} turns each, median ms")
    print(f"{'turn':<18} {'bare litellm':>13} {'LiteLLMClient':>14} {'ratio':>7}")
    for label, shape in SHAPES.items():
        bare, ours = await measure(client, shape, turns)
        print(f"{label:<18} {bare:>13.2f} {ours:>14.2f} {ours / bare:>7.3f}")


async def part_a_loop(turns: int) -> None:
    """One full AgentLoop turn (answered in text) against a bare call with the same payload."""
    import tempfile

    from jupyter_plan.agent.human import NoHuman
    from jupyter_plan.agent.loop import AgentLoop
    from jupyter_plan.bridge.memory import MemoryBridge
    from jupyter_plan.models import NotebookSnapshot
    from jupyter_plan.policy.engine import PolicyEngine
    from jupyter_plan.policy.loader import builtin_files, load_rules
    from jupyter_plan.tools import plan_tools
    from jupyter_plan.tools.base import ToolContext

    root = Path(tempfile.mkdtemp())
    policy = PolicyEngine(load_rules(builtin_files()), plan_dir=root)
    registry = plan_tools()
    client = LiteLLMClient(api_key=KEY, timeout=TIMEOUT, max_retries=0)
    shape = text("The notebook loads sales data, then plots. " * 8, chunk_size=9)
    with FakeModelServer(always(shape)) as srv:

        def new_loop() -> AgentLoop:
            ctx = ToolContext(
                bridge=MemoryBridge(NotebookSnapshot(cells=[])),
                workspace_root=root,
                plan_dir=root,
                human=NoHuman(),
            )
            return AgentLoop(
                client=client,
                registry=registry,
                policy=policy,
                ctx=ctx,
                model=MODEL,
                api_base=srv.base_url,
                messages=[dict(m) for m in MESSAGES],
                max_turns=1,
            )

        schemas = registry.schemas(new_loop().visible_tools())

        async def ours() -> None:
            await new_loop().run()

        async def bare() -> None:
            await bare_turn(srv.base_url, schemas)

        for _ in range(20):
            await bare()
            await ours()
        bare_ms: list[float] = []
        ours_ms: list[float] = []
        for i in range(turns):
            await timed(bare if i % 2 else ours, bare_ms if i % 2 else ours_ms)
            await timed(ours if i % 2 else bare, ours_ms if i % 2 else bare_ms)
    b, o = statistics.median(bare_ms), statistics.median(ours_ms)
    print(f"{'agent-loop turn':<18} {b:>13.2f} {o:>14.2f} {o / b:>7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="turns per variant and shape")
    args = parser.parse_args()
    asyncio.run(part_a(args.turns))
    asyncio.run(part_a_loop(args.turns))

    # -- (b) context build times ---------------------------------------------------------
    from context import main as context_main  # benchmarks/ is sys.path[0] as a script

    print("\n(b) context build times")
    context_main()


if __name__ == "__main__":
    main()
