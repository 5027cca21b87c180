"""Smoke test of the browser harness: JupyterLab loads with jupyter-plan, a kernel runs a cell."""

from __future__ import annotations

import pytest

from jupyter_plan.testing.lab import LabPage

pytestmark = pytest.mark.ui


def test_lab_loads_with_extension_and_runs_load_ext(lab: LabPage) -> None:
    page = lab.page
    assert "JupyterLab" in page.title()

    # The extension's plugins are registered and activated in the page (or it says so itself).
    plugins = lab.activated_plugins("jupyter-plan:")
    said_so = any("jupyter-plan extension activated" in line for line in lab.console)
    assert plugins or said_so, f"no activated jupyter-plan plugin; console: {lab.console}"

    # The notebook is open with an Idle kernel (the `lab` fixture waited for it).
    status = page.locator("#jp-main-statusbar").inner_text()
    assert "Idle" in status, status

    cell = lab.run_cell("%load_ext jupyter_plan")
    assert (
        cell.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        ).count()
        == 0
    )
    out = lab.cell_output_text(cell)
    assert "Error" not in out and "Traceback" not in out, out
    assert cell.locator(".jp-InputArea-prompt").inner_text().strip() == "[1]:"

    shot = lab.screenshot()
    assert shot.stat().st_size > 10_000
    assert not lab.page_errors, lab.page_errors
