"""The tools the planning agent may call.

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
    person, writing the plan document and submitting it."""
    from jupyter_plan.tools import files, interact, kernel, notebook, plan_doc, skills
    from jupyter_plan.tools.base import ToolRegistry

    return ToolRegistry(
        [
            *notebook.TOOLS,
            *kernel.TOOLS,
            *files.TOOLS,
            *skills.TOOLS,
            *interact.TOOLS,
            *plan_doc.TOOLS,
        ]
    )
