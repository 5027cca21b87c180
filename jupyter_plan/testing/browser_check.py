"""``python -m jupyterlab.browser_check``, driven by Debian's Chromium.

JupyterLab's own check starts the app with ``browserTest`` on (the page collects every
plugin activation error into ``#browserTest``), fails on any error logged by the server,
and drives the page with a Node Playwright that first downloads its own browser, which a
machine without internet cannot do. This keeps JupyterLab's server side and its page
checks as they are and swaps only the driver: Python Playwright and ``/usr/bin/chromium``.

Run: ``python -m jupyter_plan.testing.browser_check [--allow-root]``; exit status 0 is a
pass, as with JupyterLab's.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from jupyterlab.browser_check import BrowserApp, run_test  # type: ignore[import-untyped]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PLUGINS = (
    "jupyter-plan:bridge",
    "jupyter-plan:cards",
    "jupyter-plan:edit",
    "jupyter-plan:plugin",
    "jupyter-plan:renderer",
)
PLUGINS_JS = """() => window.jupyterapp.listPlugins()
    .filter(id => id.startsWith('jupyter-plan:') && window.jupyterapp.isPluginActivated(id))"""
WAIT_MS = 100_000  # JupyterLab's check waits as long for #main and #browserTest


async def run_browser(url: str) -> None:
    """The page half of JupyterLab's ``browser-test.js``: load, wait, read the errors."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page()
            console: list[str] = []
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            await page.goto(url)  # a local file that redirects to the app
            await page.locator("#jupyter-config-data").wait_for(state="attached", timeout=WAIT_MS)
            await page.wait_for_selector("#main", timeout=WAIT_MS)
            found = await page.wait_for_selector("#browserTest", state="attached", timeout=WAIT_MS)
            await page.wait_for_selector(".completed", state="attached", timeout=WAIT_MS)
            text = await found.text_content() if found else None
            errors: list[Any] = json.loads(text or "[]")
            ours = await page.evaluate(PLUGINS_JS)
        finally:
            await browser.close()
    problems = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
    problems += console
    inactive = [p for p in PLUGINS if p not in ours]
    problems += [f"plugin {p} is not activated" for p in inactive]
    if problems:
        raise RuntimeError("JupyterLab reported errors:\n  " + "\n  ".join(problems))
    print(f"browser check: JupyterLab started with no errors; activated {sorted(ours)}", flush=True)


class ChromiumBrowserApp(BrowserApp):
    """JupyterLab's BrowserApp with this module's driver."""

    name = __name__

    def initialize_handlers(self) -> None:
        run_test(self.serverapp, run_browser)
        super(BrowserApp, self).initialize_handlers()  # LabApp's, not BrowserApp's driver


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": __name__, "app": ChromiumBrowserApp}]


if __name__ == "__main__":
    # window.jupyterapp, to ask which plugins activated (the page is served by LabApp).
    ChromiumBrowserApp.launch_instance(argv=[*sys.argv[1:], "--LabApp.expose_app_in_browser=True"])
