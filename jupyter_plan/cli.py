"""The ``jupyter-plan`` command line: policies and plan reports, without a kernel.

Exit status: 0 when the command ran (whatever the decision), 2 with a message on bad input
(unknown flags, bad JSON, a malformed policy or settings file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jupyter_plan.policy.engine import PolicyEngine
from jupyter_plan.policy.from_settings import engine_for
from jupyter_plan.policy.loader import PolicyError, PolicyFile, parse_file
from jupyter_plan.policy.types import MODE_NAMES, Mode, Tier


class CliError(Exception):
    """Bad input: printed as ``jupyter-plan: error: …`` with exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    ns = parser.parse_args(argv)
    if not hasattr(ns, "run"):
        parser.print_help()
        return 2
    try:
        return int(ns.run(ns))
    except (CliError, PolicyError, ValueError) as exc:
        print(f"jupyter-plan: error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-plan", description="Plan Mode for Jupyter, from the command line."
    )
    top = parser.add_subparsers(title="commands")
    policy = top.add_parser("policy", help="check, list and validate tool-call policies")
    sub = policy.add_subparsers(title="policy commands")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--policy",
            action="append",
            default=[],
            metavar="FILE",
            help="an extra policy file or folder (user tier); may be repeated",
        )
        p.add_argument(
            "--project",
            default=".",
            metavar="DIR",
            help="where to look for the project's .jupyter_plan/ (default: here)",
        )

    check = sub.add_parser("check", help="decide one tool call and show the rule that did")
    check.add_argument("--mode", default="default", help=f"approval mode: {MODE_NAMES}")
    check.add_argument("--tool", required=True, help="tool name, e.g. run_shell_command")
    check.add_argument("--args", default="{}", metavar="JSON", help="the call's arguments")
    check.add_argument("--headless", action="store_true", help="no person to ask")
    check.add_argument("--json", action="store_true", help="print a JSON object")
    common(check)
    check.set_defaults(run=_check)

    listing = sub.add_parser("list", help="the effective rules, in precedence order")
    listing.add_argument("--mode", default=None, help="only rules active in this mode")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    common(listing)
    listing.set_defaults(run=_list)

    validate = sub.add_parser("validate", help="report every problem in policy files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(run=_validate)

    export = top.add_parser(
        "export", help="write a report of a notebook's plans (Markdown or HTML)"
    )
    export.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file")
    export.add_argument("--format", choices=("md", "html"), default="md", help="default: md")
    export.add_argument(
        "--output",
        metavar="PATH",
        help="where to write it (default: NOTEBOOK's stem + .plans.md/.html beside it; "
        "'-': standard output)",
    )
    export.set_defaults(run=_export)

    run = top.add_parser(
        "run", help="execute a notebook headless; plans replay, built cells are kept"
    )
    run.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file (left unchanged)")
    run.add_argument(
        "--output",
        metavar="PATH",
        help="the executed notebook (default: NOTEBOOK's stem + .executed.ipynb beside it)",
    )
    run.add_argument("--html", action="store_true", help="also write an HTML copy beside it")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell (default: 600)")
    run.set_defaults(run=_run_notebook)
    return parser


def _run_notebook(ns: argparse.Namespace) -> int:
    from jupyter_plan.run.runner import main as run_main  # nbclient: only for this command

    return run_main(ns.notebook, ns.output, ns.html, ns.timeout)


def _engine(ns: argparse.Namespace) -> PolicyEngine:
    return engine_for(Path(ns.project), extra_policies=ns.policy, env=os.environ)


def _mode(text: str) -> Mode:
    try:
        return Mode.parse(text)
    except ValueError as exc:
        raise CliError(f"--mode: {exc}") from None


def _check(ns: argparse.Namespace) -> int:
    mode = _mode(ns.mode)
    try:
        args = json.loads(ns.args)
    except json.JSONDecodeError as exc:
        raise CliError(f"--args is not valid JSON: {exc}") from None
    if not isinstance(args, dict):
        raise CliError(f"--args must be a JSON object, got {type(args).__name__}")
    engine = _engine(ns)
    result = engine.decide(ns.tool, args, mode, interactive=not ns.headless)
    if ns.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return 0
    print(f"{result.decision.value}: {ns.tool} in {mode.value} mode")
    print(f"  reason: {result.reason}")
    if result.rule is not None:
        print(f"  rule:   {result.rule.describe()}")
        print(f"  source: {result.rule.location} ({result.rule.tier.label} tier)")
    else:
        print("  rule:   none (default)")
    for command, part in result.parts:
        print(f"  part {command!r}: {part.decision.value} ({part.reason})")
    return 0


def _list(ns: argparse.Namespace) -> int:
    mode = _mode(ns.mode) if ns.mode else None
    engine = _engine(ns)
    rules = [r for r in engine.rules if mode is None or r.modes is None or mode in r.modes]
    if ns.json:
        print(json.dumps([r.to_json() for r in rules], indent=2, ensure_ascii=False))
        return 0
    current: Tier | None = None
    for r in rules:
        if r.tier is not current:
            current = r.tier
            print(f"[{current.label}]")
        print(f"  {r.location}  {r.describe()}")
    if not rules:
        print("no rules")
    return 0


def _validate(ns: argparse.Namespace) -> int:
    problems: list[Any] = []
    count = 0
    for name in ns.files:
        if not Path(name).is_file():
            problems.append(f"{name}: no such file")
            continue
        rules, found = parse_file(PolicyFile(name, Tier.USER))
        count += len(rules)
        problems += found
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{len(problems)} problem(s) in {len(ns.files)} file(s)", file=sys.stderr)
        return 2
    print(f"ok: {count} rule(s) in {len(ns.files)} file(s)")
    return 0


def _export(ns: argparse.Namespace) -> int:
    from jupyter_plan.export import export  # plans, transcripts, mistune: only here

    text, written = export(Path(ns.notebook), ns.format, ns.output)
    if written is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {written}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
