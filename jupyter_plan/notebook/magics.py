"""IPython magics: parse flags, delegate to :mod:`jupyter_plan.notebook.kernel_session`, report."""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring


@magics_class
class PlanMagics(Magics):
    """``%%plan`` / ``%plan`` and ``%build``. See ``%plan?`` and ``%build?``."""

    @property
    def ip(self) -> InteractiveShell:
        assert self.shell is not None  # registered on a shell: always set
        return self.shell

    @magic_arguments()
    @argument("--model", help="any litellm model string (default: settings)")
    @argument("--api-base", help="the model's base URL, e.g. a LiteLLM proxy or Ollama")
    @argument("--skill", help="activate this skill from the start")
    @argument("--id", dest="plan_id", help="plan id (an existing plan gets a new revision)")
    @argument(
        "--approve",
        choices=["auto_edit", "default"],
        help="headless: approve the plan for this build mode without asking",
    )
    @argument("--notebook", help="this kernel's notebook, when it cannot be found")
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
        args = parse_argstring(self.plan, line)
        if cell is not None:
            if not cell.strip():
                raise UsageError("%%plan: the cell is empty; write the task below %%plan")
            return commands.plan(self.ip, cell, args)
        words = args.words
        if not words:
            return commands.show(self.ip, None, args)
        subcommands = {"list": commands.list_plans, "show": commands.show, "mode": commands.mode}
        if words[0] in subcommands and (words[0] != "show" or len(words) <= 2):
            return subcommands[words[0]](self.ip, words[1:], args)
        return commands.plan(self.ip, " ".join(words), args)

    @magic_arguments()
    @argument("plan_id", nargs="?", help="the plan to build (default: the latest approved)")
    @argument("--auto-edit", action="store_true", help="allow cell edits without asking")
    @argument("--manual", action="store_true", help="review each edit (ask before each)")
    @argument("--yes", action="store_true", help="headless: allow what the policy would ask")
    @argument("--rebuild", action="store_true", help="build again a plan already built")
    @argument("--undo", action="store_true", help="restore the notebook to before the build")
    @argument("--model", help="any litellm model string (default: settings)")
    @argument("--api-base", help="the model's base URL")
    @argument("--notebook", help="this kernel's notebook, when it cannot be found")
    @line_magic
    def build(self, line: str) -> Any:
        """Build an approved plan: insert, edit and run cells, each call decided by the policy."""
        from jupyter_plan.notebook import commands

        args = parse_argstring(self.build, line)
        if args.auto_edit and args.manual:
            raise UsageError("%build: choose --auto-edit or --manual, not both")
        if args.undo:
            return commands.undo(self.ip, args)
        return commands.build(self.ip, args)


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%plan: cannot parse arguments: {exc}") from None
