"""IPython magics: parse flags, delegate to :mod:`jupyter_plan.notebook.kernel_session`, report."""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

# Flags several magics share (an ``argument`` only records its parser call: reusable).
_MODEL = argument("--model", help="any litellm model string (default: settings)")
_NOTEBOOK = argument("--notebook", help="this kernel's notebook, when it cannot be found")
_YES = argument("--yes", action="store_true", help="headless: allow what the policy would ask")


def _approve(help: str) -> argument:
    """``--approve MODE``: headless, a plan is approved for this build mode."""
    return argument("--approve", choices=["auto_edit", "default"], help=help)


@magics_class
class PlanMagics(Magics):
    """``%%plan`` / ``%plan`` and ``%build``. See ``%plan?`` and ``%build?``."""

    @property
    def ip(self) -> InteractiveShell:
        assert self.shell is not None  # registered on a shell: always set
        return self.shell

    @magic_arguments()
    @_MODEL
    @argument("--api-base", help="the model's base URL, e.g. a LiteLLM proxy or Ollama")
    @argument("--skill", help="activate this skill from the start")
    @argument("--id", dest="plan_id", help="plan id (an existing plan gets a new revision)")
    @_approve("headless: approve the plan for this build mode without asking")
    @_NOTEBOOK
    @argument(
        "--live",
        action="store_true",
        help="plan with the model even though this plan has a recording (records anew)",
    )
    @argument("--recorded", action="store_true", help="keep the recorded plan as it is: no model")
    @argument(
        "--page",
        dest="pages",
        action="append",
        default=[],
        help="give the planner this page (.jupyter_plan/pages/NAME.md); repeat for more",
    )
    @argument(
        "words",
        nargs="*",
        help="the task (line magic), or: list | show ID | mode [default|auto_edit|plan|yolo]"
        " | policy check|list|validate …",
    )
    @line_cell_magic
    def plan(self, line: str, cell: str | None = None) -> Any:
        """Plan a task with an LLM agent, read-only; review the plan, then %build it.

        %%plan [flags]      the cell body is the task
        %plan TASK          a one-line task
        %plan               show the latest plan
        %plan list | show ID | mode [MODE] | policy check|list|validate …
        """
        from jupyter_plan.notebook import commands

        if cell is None and line.split()[:1] == ["policy"]:
            return commands.policy(_split(line))
        where = "%%plan" if cell is not None else "%plan"
        args = _parse(self.plan, line, where)
        if args.plan_id is not None:
            _check_id(args.plan_id, f"{where} --id")
        if cell is not None:
            if not cell.strip():
                raise UsageError("%%plan: the cell is empty; write the task below %%plan")
            return commands.plan(self.ip, cell, args)
        words = args.words
        if not words:
            return commands.show(self.ip, None, args)
        if words[0] == "show" and len(words) > 2:
            raise UsageError(
                f"%plan show takes one plan id, not {len(words) - 1} words: "
                f"{' '.join(words[1:])!r} (to plan a task, write it in a %%plan cell)"
            )
        if words[0] == "show" and len(words) == 2:
            _check_id(words[1], "%plan show")
        from jupyter_plan.notebook.pages_magic import page

        subcommands = {"list": commands.list_plans, "show": commands.show, "mode": commands.mode}
        subcommands["page"] = page  # %plan page list | show NAME | new NAME | from-plan ID
        if words[0] in subcommands:
            return subcommands[words[0]](self.ip, words[1:], args)
        return commands.plan(self.ip, " ".join(words), args)

    @magic_arguments()
    @argument("plan_id", nargs="?", help="the plan to build (default: the latest approved)")
    @argument("--auto-edit", action="store_true", help="allow cell edits without asking")
    @argument("--manual", action="store_true", help="review each edit (ask before each)")
    @_YES
    @argument("--rebuild", action="store_true", help="build again a plan already built")
    @argument("--undo", action="store_true", help="restore the notebook to before the build")
    @_MODEL
    @argument("--api-base", help="the model's base URL")
    @_NOTEBOOK
    @argument(
        "--live",
        action="store_true",
        help="build with the model even though this build has a recording (records anew)",
    )
    @line_magic
    def build(self, line: str) -> Any:
        """Build an approved plan: insert, edit and run cells, each call decided by the policy."""
        from jupyter_plan.notebook import commands

        args = _parse(self.build, line, "%build")
        if args.plan_id:
            _check_id(args.plan_id, "%build")
        if args.auto_edit and args.manual:
            raise UsageError("%build: choose --auto-edit or --manual, not both")
        if args.undo:
            return commands.undo(self.ip, args)
        return commands.build(self.ip, args)

    @magic_arguments()
    @_MODEL
    @argument("--api-base", help="the model's base URL")
    @_NOTEBOOK
    @_YES
    @_approve("headless: if the agent enters plan mode, approve the plan for this build mode")
    @argument("--live", action="store_true", help="ask the model even if a recording matches")
    @argument("words", nargs="*", help="the task (line magic)")
    @line_cell_magic
    def agent(self, line: str, cell: str | None = None) -> Any:
        """Ask the agent, in the session's approval mode (docs/agent.md): it answers, does
        small tasks (each edit decided by the policy) or asks to enter plan mode.

        %%agent [flags]     the cell body is the task
        %agent TASK         a one-line task
        """
        from jupyter_plan.notebook.agent_command import agent

        where = "%%agent" if cell is not None else "%agent"
        args = _parse(self.agent, line, where)
        task = cell if cell is not None else " ".join(args.words)
        if not task.strip():
            raise UsageError(f"{where}: no task; write it below %%agent or after %agent")
        return agent(self.ip, task, args)


def _split(line: str, where: str = "%plan") -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"{where}: cannot parse arguments: {exc}") from None


def _parse(magic: Any, line: str, where: str) -> Any:
    """Flags as a shell would split them: quotes are removed (``--id 'a b'`` is ``a b``),
    the same for every flag; a parse error is one line (argparse's, as a UsageError)."""
    return magic.parser.parse_args(_split(line, where))


def _check_id(plan_id: str, where: str) -> None:
    from jupyter_plan.notebook.commands import explain
    from jupyter_plan.record.store import InvalidPlanId, check_id

    try:
        check_id(plan_id)
    except InvalidPlanId as exc:
        raise UsageError(explain(exc, where)) from None
