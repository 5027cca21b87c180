"""The installed package: the JupyterLab extension is registered, and the import stays light.

These run against the environment that runs pytest (``.venv`` under ``./scripts/test``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_labextension_is_installed_enabled_and_ok() -> None:
    result = _run("-m", "jupyter", "labextension", "list")
    assert result.returncode == 0, result.stderr
    # `jupyter labextension list` writes to stderr and colours its words.
    output = ANSI_ESCAPE.sub("", result.stdout + result.stderr)
    lines = [line.split() for line in output.splitlines()]
    # An extension's line reads: jupyter-plan v0.1.0 enabled OK (python, jupyter-plan)
    ours = [w for w in lines if len(w) > 1 and w[0] == "jupyter-plan" and w[1].startswith("v")]
    assert ours, f"jupyter-plan not listed:\n{output}"
    assert len(ours) == 1, f"jupyter-plan listed more than once:\n{output}"
    words = ours[0]
    assert "enabled" in words, output
    assert "OK" in words, output
    # install.json was installed with it: lab knows pip owns the extension.
    assert "(python," in words and "jupyter-plan)" in words, output


def test_import_jupyter_plan_does_not_import_litellm_or_ipywidgets() -> None:
    code = (
        "import json, sys\n"
        "import jupyter_plan\n"
        "heavy = ('litellm', 'ipywidgets')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "import ipywidgets\n"
        "control = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print(json.dumps({'file': jupyter_plan.__file__, 'loaded': loaded, 'control': control}))\n"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["file"].endswith("__init__.py")
    assert report["loaded"] == [], f"importing jupyter_plan loaded {report['loaded']}"
    # The check itself sees a heavy import when there is one.
    assert "ipywidgets" in report["control"]
