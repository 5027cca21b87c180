"""IPython magics: parse, delegate, report. No logic lives here."""

from __future__ import annotations

import shlex

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class


@magics_class
class PlanMagics(Magics):
    """``%plan policy check|list|validate …`` runs the ``jupyter-plan policy`` CLI in-kernel."""

    @line_magic
    def plan(self, line: str) -> None:
        """%plan policy check --tool NAME [--mode MODE] [--args JSON] [--json] …"""
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%plan: cannot parse arguments: {exc}") from None
        if not argv or argv[0] != "policy":
            raise UsageError("usage: %plan policy check|list|validate … (see %plan?)")
        from jupyter_plan.cli import main

        try:
            code = main(argv)
        except SystemExit as exc:  # argparse reports usage errors by exiting
            code = int(exc.code or 0)
        if code:
            raise UsageError(f"%plan {line}: failed (exit status {code}); see the message above")
