"""Plan mode in the browser: edits are refused, and the approval mode agrees everywhere.

(2) During ``%%plan`` (always read-only) the fake model tries to edit: it calls
``insert_cell`` (a build tool, hidden in plan mode) and ``write_file`` aimed at the notebook
itself (outside the plan folder). The notebook in the page is unchanged, and the refusals the
kernel sent back are shown in the cell (the model's answer quotes its tool results).

(4) The approval mode: set in the sidebar's switcher → ``%plan mode`` prints it; set by
``%plan mode auto_edit`` → the switcher and the status bar item show it; the palette command
"Plan: switch the approval mode", a click and the keys on the status bar item cycle it, and
the kernel agrees.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from jupyter_plan.testing.fake_server import text, tool_call
from jupyter_plan.testing.lab import LabPage, SwappableResponder

from .prompting import kernel_mode, wait_mode
from .steps import load_extension

pytestmark = pytest.mark.ui

EDIT_SOURCE = "import shutil; shutil.rmtree('data')  # the agent's edit"


def tool_results(body: dict[str, Any]) -> list[str]:
    return [str(m["content"]) for m in body["messages"] if m.get("role") == "tool"]


def report_refusals(body: dict[str, Any]) -> Any:
    """The model's last turn: it says what the kernel answered to its edit attempts."""
    lines = "\n".join(f"- `{r[:160]}`" for r in tool_results(body))
    return text(f"I could not change the notebook. The kernel answered:\n\n{lines}\n")


def test_plan_mode_refuses_edits_and_shows_it(lab: LabPage, fake_model: SwappableResponder) -> None:
    load_extension(lab)
    lab.run_cell("x = 41")
    fake_model.use(
        [
            tool_call("insert_cell", {"source": EDIT_SOURCE}),
            tool_call(
                "write_file",
                {"file_path": f"../../{lab.notebook}", "content": json.dumps({"cells": []})},
            ),
            report_refusals,
        ]
    )
    before = lab.cell_sources()
    assert before[-1] == ""  # Shift+Enter left an empty cell: the %%plan goes there
    task = "%%plan --id plan_mode_edit\nDelete the data folder and clear the notebook"
    cell = lab.run_cell(task)
    # The answer may sit in a nested output area (the card's own Output widget): take the
    # innermost, which is last in document order.
    answer = cell.locator(".jp-OutputArea-output", has_text="I could not change the notebook").last
    answer.wait_for(state="visible")
    lab.wait_idle()

    # The refusals are in the page: the hidden edit tool, and the write outside the plan folder.
    shown = answer.inner_text()
    assert "unknown tool 'insert_cell'" in shown, shown
    assert re.search(r"outside|escape|not allowed|refus", shown, re.I), shown
    # ...and the widget itself lists them, whatever the model chooses to say.
    refused = cell.locator("details.jp-plan-refused")
    refused.locator("summary").click()  # "Refused calls: 2", opened as a person would
    shown = refused.inner_text()
    assert "insert_cell: Error: unknown tool" in shown, shown
    assert "write_file: Denied by policy: Plan mode writes only inside" in shown
    assert fake_model.remaining == 0
    # The notebook is unchanged: the same cells (the %%plan one filled in), no agent edit.
    after = lab.cell_sources()
    assert after[: len(before) - 1] == before[:-1]
    assert after[len(before) - 1] == task
    assert all(s == "" for s in after[len(before) :]), after
    assert not any(EDIT_SOURCE in s for s in after)
    assert json.loads((lab.server.root_dir / lab.notebook).read_text())["cells"] == []
    # The status line says the agent finished without a plan, and no plan was listed.
    assert lab.plan_item("plan_mode_edit").count() == 0
    cell.scroll_into_view_if_needed()
    lab.screenshot()
    assert not lab.page_errors, lab.page_errors


def test_load_ext_alone_connects_the_panel(lab: LabPage) -> None:
    lab.run_cell("%load_ext jupyter_plan")
    lab.open_sidebar()
    # The panel was refused at kernel start (no target yet); %load_ext announces the target
    # and the panel connects: the sidebar says so and the status bar item appears.
    lab.wait_connected()
    lab.status_mode.wait_for(state="visible")


def test_mode_switcher_status_bar_and_magic_agree(lab: LabPage) -> None:
    load_extension(lab)
    switcher = lab.sidebar.locator("select.jp-plan-mode-select")

    # Unset at first: each build uses the mode chosen when its plan was approved.
    wait_mode(lab, "unset")
    assert kernel_mode(lab) == "the mode chosen at approval"

    # The switcher sets the kernel's mode.
    switcher.select_option("plan")
    wait_mode(lab, "plan")
    assert kernel_mode(lab) == "plan"

    # %plan mode sets what the switcher and the status bar show.
    lab.run_cell("%plan mode auto_edit")
    wait_mode(lab, "auto_edit")
    lab.screenshot("-auto_edit")
    assert kernel_mode(lab) == "auto_edit"

    # The palette command cycles it (auto_edit → plan), and the kernel agrees.
    lab.palette("Plan: switch the approval mode")
    wait_mode(lab, "plan")
    assert kernel_mode(lab) == "plan"

    # A click on the status bar item cycles it too (plan → default), and so do the keys:
    # it is a button with a name, reachable with Tab.
    lab.status_mode.click()
    wait_mode(lab, "default")
    assert kernel_mode(lab) == "default"
    item = lab.status_mode
    assert item.get_attribute("role") == "button" and item.get_attribute("tabindex") == "0"
    assert "Approval mode for %build: Review each edit" in str(item.get_attribute("aria-label"))
    item.focus()
    lab.page.keyboard.press("Enter")
    wait_mode(lab, "auto_edit")
    lab.page.keyboard.press("Space")
    wait_mode(lab, "plan")
    assert kernel_mode(lab) == "plan"
    lab.screenshot()
    assert not lab.page_errors, lab.page_errors
