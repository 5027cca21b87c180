"""The tools the planning and build agents may call.

Tool modules are imported when :func:`plan_tools` is called, not with this package:
``jupyter_plan.tools.base`` is imported by lighter code (the agent loop) that needs none
of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_plan.tools.base import ToolRegistry


def plan_tools() -> ToolRegistry:
    """Every plan-mode tool: reading the notebook, kernel, workspace and skills, asking the
    person, writing the plan document and submitting it; and the shell, which the policy
    hides in plan mode unless a rule naming ``plan`` allows a command (``git log``, say)."""
    from jupyter_plan.tools import build, files, interact, kernel, notebook, plan_doc, skills
    from jupyter_plan.tools.base import ToolRegistry
    from jupyter_plan.tools.plan_mode import INVESTIGATE

    shell = [t for t in build.TOOLS if t.name == "run_shell_command"]
    return ToolRegistry(
        [
            *notebook.TOOLS,
            INVESTIGATE,  # hidden in plan mode unless a rule naming plan allows it
            *kernel.TOOLS,
            *files.TOOLS,
            *skills.TOOLS,
            *interact.TOOLS,
            *plan_doc.TOOLS,
            *shell,
        ]
    )


def build_tools() -> ToolRegistry:
    """Every build tool: the read tools, ask_user, and the cell, step, file and shell tools.

    ``write_file`` here writes inside the project (plan mode's writes only the plan)."""
    from jupyter_plan.tools import build, files, interact, kernel, notebook, skills
    from jupyter_plan.tools.base import ToolRegistry

    ask = [t for t in interact.TOOLS if t.name == "ask_user"]
    return ToolRegistry(
        [*notebook.TOOLS, *kernel.TOOLS, *files.TOOLS, *skills.TOOLS, *ask, *build.TOOLS]
    )


def agent_tools() -> ToolRegistry:
    """``%%agent``'s tools: the build tools (without steps: there is no plan), ask_user,
    ``enter_plan_mode`` and ``investigate``."""
    from jupyter_plan.tools import plan_mode
    from jupyter_plan.tools.base import ToolRegistry

    tools = [plan_mode.without_steps(t) for t in build_tools().tools() if t.name != "update_step"]
    return ToolRegistry([*tools, *plan_mode.TOOLS])
