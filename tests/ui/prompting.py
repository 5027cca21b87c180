"""Steps of the prompt box and the mode tests: asking through the sidebar as a person does,
planning turns that find their plan file in the prompt, and the docs' screenshots."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jupyter_plan.testing.fake_server import tool_call
from jupyter_plan.testing.lab import LabPage

from .steps import DOCS, RICH_PLAN, to_docs


def prompt_box(lab: LabPage) -> Any:
    return lab.sidebar.locator("form.jp-plan-prompt")


def prompt_choice(lab: LabPage) -> str:
    """What the prompt's dropdown shows: ``agent`` or ``plan``."""
    return str(prompt_box(lab).locator(".jp-plan-prompt-mode select").input_value())


def type_task(lab: LabPage, lines: list[str], choice: str | None = None) -> None:
    """Choose ``choice`` in the dropdown, type ``lines`` (Shift+Enter between them), Enter."""
    box = prompt_box(lab)
    if choice is not None:
        box.locator(".jp-plan-prompt-mode select").select_option(choice)
    box.locator("textarea").click()
    for i, line in enumerate(lines):
        if i:
            lab.page.keyboard.press("Shift+Enter")
        lab.page.keyboard.type(line)
    lab.page.keyboard.press("Enter")


def activate(cell: Any) -> None:
    """Make ``cell`` the notebook's active cell (a click on its prompt, command mode)."""
    cell.locator(".jp-InputPrompt").click()


def plan_file_of(body: dict[str, Any]) -> str:
    """The plan file a planning run names in its system prompt (``only `<id>.md```)."""
    system = str(body["messages"][0]["content"])
    found = re.search(r"only `([^`]+\.md)`", system)
    assert found, system[:400]
    return found.group(1)


def planning_any_id(plan: str = RICH_PLAN) -> list[Any]:
    """The model writes ``plan`` into whatever plan file the run named, and submits it."""
    return [
        lambda body: tool_call(
            "write_file", {"file_path": plan_file_of(body), "content": plan}, content="Drafting."
        ),
        lambda body: tool_call("exit_plan_mode", {"plan_filename": plan_file_of(body)}),
    ]


def docs_image(
    lab: LabPage, name: str, clip: dict[str, float] | None = None, element: Any = None
) -> Path:
    """A screenshot in tests/ui/screenshots; with ``JUPYTER_PLAN_DOCS_IMAGES=1`` also
    ``docs/images/<name>.png``. ``clip`` or ``element`` keeps it small (what shows the state)."""
    folder = lab.screenshots or DOCS
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"{lab.name}-{name}.png"
    if element is not None:
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(shot))
    else:
        lab.page.screenshot(path=str(shot), clip=clip)
    to_docs(shot, name)
    return shot


# -- the approval mode ---------------------------------------------------------------

LABELS = {
    "unset": "As approved",
    "default": "Review each edit",
    "auto_edit": "Auto-accept edits",
    "plan": "Read-only (plan)",
}


def wait_mode(lab: LabPage, mode: str) -> None:
    """The status bar, the sidebar's switcher and the prompt's dropdown all show ``mode``."""
    lab.page.wait_for_function(
        """([mode, label]) => {
            const select = document.querySelector('#jupyter-plan-sidebar .jp-plan-mode-select');
            const status = document.querySelector('#jp-main-statusbar .jp-plan-statusbar-mode');
            const prompt = document.querySelector('.jp-plan-prompt-mode select');
            const choice = mode === 'plan' ? 'plan' : 'agent';
            return select && select.value === mode && status && prompt
              && status.textContent.trim() === 'Approval: ' + label && prompt.value === choice;
        }""",
        arg=[mode, LABELS[mode]],
    )


def kernel_mode(lab: LabPage) -> str:
    """The mode ``%plan mode`` prints in a new cell."""
    out = lab.cell_output_text(lab.run_cell("%plan mode")).strip()
    assert out.startswith("approval mode for %build: "), out
    return out.removeprefix("approval mode for %build: ")


def press_cycle(lab: LabPage) -> None:
    """Alt+Shift+P in the notebook, in command mode (a click on the last cell's prompt)."""
    lab.cells.last.locator(".jp-InputPrompt").click()
    lab.page.keyboard.press("Escape")
    lab.page.keyboard.press("Alt+Shift+P")
