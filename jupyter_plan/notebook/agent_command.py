"""``%%agent`` / ``%agent TASK``: the agent in the session's approval mode (``agent/mode.py``).

In ``plan`` mode it is ``%%plan`` itself (the same command, card and plan file). Otherwise
one run card shows its progress and approvals; an answer ends it in the cell as a ``%%plan``
inquiry's does, and a run that entered plan mode ends with the plan review, as ``%%plan``.
"""

from __future__ import annotations

import argparse
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import Markdown

from jupyter_plan.models import Plan
from jupyter_plan.notebook import commands
from jupyter_plan.notebook.endings import ended, stopped
from jupyter_plan.notebook.kernel_session import KernelSession, bundle, placeholder
from jupyter_plan.policy.types import Mode
from jupyter_plan.redaction import redact_credentials, scrub


def agent(shell: InteractiveShell, task: str, args: argparse.Namespace) -> None:
    from jupyter_plan.agent.mode import AgentRun, run_agent, start_mode

    session = KernelSession.of(shell)
    flags = commands._flags(args)
    try:
        resolved, notebook = session.resolve(flags)
        mode = start_mode(session.mode, resolved.settings.default_approval_mode)
    except commands._expected() as exc:
        raise UsageError(commands.explain(exc, "%%agent")) from None
    if mode is Mode.PLAN:  # exactly %%plan: the setting, the status bar or %plan mode chose it
        plan_args = argparse.Namespace(**vars(args), plan_id=None, skill=None, recorded=False)
        return commands.plan(shell, task, plan_args)
    choice = session.take_choice()  # "Re-plan live" on a drift
    commands._notes(resolved.settings.model)
    human = session.human(f"Agent: {task.strip().splitlines()[0][:60]}", args.approve, args.yes)
    review = commands._card(human)
    handle = placeholder("" if review is not None else "*Working…*")

    async def run(executor: Any) -> Any:
        return await run_agent(
            AgentRun(
                task=task,
                resolved=resolved,
                bridge=session.bridge(flags, executor),
                human=human,
                mode=mode,
                namespace=shell.user_ns,
                listener=getattr(human, "on_event", None),
                live=args.live or choice == "live",
            )
        )

    def done(outcome: Any) -> None:
        plan = outcome.plan.plan if outcome.plan is not None else None
        if plan is None:  # answered, or done in place: the agent's words
            handle.update(Markdown(scrub(outcome.answer or "(no text)")))
            ended(review, None)
            session.changed()
            return
        session.last_plan = plan.id

        def show(shown: Plan) -> None:
            handle.update(redact_credentials(bundle(shown, resolved, notebook)), raw=True)

        show(plan)
        session.plan_outputs[plan.id] = show  # a build updates it (N/M steps)
        ended(review, plan)
        session.changed()

    running = commands._run(session, run, done, stopped(session, handle, review, "Stopped."))
    if review is not None and running is not None:
        review.on_stop = running.cancel
    return None
