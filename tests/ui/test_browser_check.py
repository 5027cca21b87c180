"""JupyterLab's own start-up check (``jupyterlab.browser_check``) passes with jupyter-plan.

The check's server side is JupyterLab's; only its driver is Debian's Chromium through Python
Playwright (``jupyter_plan.testing.browser_check``), as JupyterLab's downloads a browser.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui

CHECK_TIMEOUT = 600  # seconds: a hung check must fail the test, not CI


def test_jupyterlab_browser_check_passes(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium: run ./scripts/setup as root")
    argv = [sys.executable, "-m", "jupyter_plan.testing.browser_check"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    done = subprocess.run(  # its own process group is not needed: it exits by itself
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=CHECK_TIMEOUT, check=False
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "Exiting normally" in out
    assert (
        "activated ['jupyter-plan:bridge', 'jupyter-plan:cards', 'jupyter-plan:edit', "
        "'jupyter-plan:plugin', 'jupyter-plan:renderer']" in out
    )
