"""Real-browser test harness: Debian's Chromium (via Playwright) driving a real ``jupyter lab``.

The harness itself is :mod:`jupyter_plan.testing.lab` (shared with ``benchmarks/lab.py``);
this file wraps it in fixtures.

Fixtures
--------
``fake_model`` (session)
    A :class:`~jupyter_plan.testing.lab.SwappableResponder` behind a
    :class:`~jupyter_plan.testing.fake_server.FakeModelServer` on 127.0.0.1, started before
    the lab server so every kernel it starts inherits ``JUPYTER_PLAN_API_BASE`` (and
    ``JUPYTER_PLAN_MODEL=openai/fake``, a key, empty user/admin dirs). Kernels call it through
    real litellm. ``fake_model.use([...turns])`` sets the turns for the next run.
``lab_server`` (session)
    A :class:`LabServer`: ``jupyter lab`` on 127.0.0.1 and a free port, no token, serving a
    temporary ``project`` folder (a jupyter-plan project: it holds ``.jupyter_plan/``), with
    its own config/data/runtime/settings/workspaces dirs and the news toast turned off.
    ``JUPYTER_PLAN_INTERACTIVE`` is not set: widgets come because the lab extension connects.
    Stopped by process id at the end of the session.
``browser`` (module)
    A Playwright ``Browser``: ``/usr/bin/chromium`` launched headless with the flags in
    ENVIRONMENT.md. Module-scoped: Playwright's sync loop must end before other modules'
    asyncio tests run.
``notebook_path`` (function)
    A fresh empty notebook for this test in the project folder; its path relative to the root.
``lab`` (function)
    A :class:`LabPage` with that notebook open (``/lab/tree/<nb>?reset``) and its kernel Idle.
    ``lab.page`` is the Playwright ``Page``; ``lab.run_cell(code)`` runs code in a new cell;
    ``lab.screenshot()`` saves ``tests/ui/screenshots/<test>.png``. Its kernel is shut down
    after the test, and a ``<test>-failure.png`` screenshot is saved when the test fails.

Every test here is marked ``ui`` (added at collection too). Without ``/usr/bin/chromium`` the
tests are skipped with the command that installs it (``./scripts/setup`` does, as root).
No test tool downloads a browser: never run ``playwright install``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_plan.testing.fake_server import FakeModelServer
from jupyter_plan.testing.lab import (
    UI_TIMEOUT_MS,
    LabPage,
    LabServer,
    SwappableResponder,
    chromium_available,
    launch_browser,
    model_env,
    slug,
    start_lab_server,
    stop_process,
    write_notebook,
)

SCREENSHOTS = Path(__file__).parent / "screenshots"

__all__ = ["SCREENSHOTS", "LabPage", "LabServer", "SwappableResponder"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.ui)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"ui_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def _ui_base() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="jupyter-plan-ui-"))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def _model_server() -> Iterator[tuple[FakeModelServer, SwappableResponder]]:
    responder = SwappableResponder()
    with FakeModelServer(responder) as server:
        yield server, responder


@pytest.fixture
def fake_model(
    _model_server: tuple[FakeModelServer, SwappableResponder],
) -> Iterator[SwappableResponder]:
    """The responder of the session's fake model, emptied before and after each test."""
    responder = _model_server[1]
    responder.use([])
    yield responder
    responder.use([])


@pytest.fixture(scope="session")
def lab_server(
    _ui_base: Path, _model_server: tuple[FakeModelServer, SwappableResponder]
) -> Iterator[LabServer]:
    server = start_lab_server(_ui_base, model_env(_model_server[0].base_url, _ui_base))
    try:
        yield server
    finally:
        stop_process(server.proc)


@pytest.fixture(scope="module")  # Playwright's sync API marks a loop running in this thread:
def browser() -> Iterator[Any]:  # it must end before other modules' asyncio tests run
    if not chromium_available():
        why = (
            "/usr/bin/chromium is missing: run ./scripts/setup as root "
            "(or: apt-get update && apt-get install -y chromium)"
        )
        if os.environ.get("CI"):  # CI must run the browser tests, never skip them quietly
            pytest.fail(why)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # Playwright refuses a --user-data-dir in `args`; `launch` itself passes Chromium a fresh
        # temporary --user-data-dir (removed on close), and each test gets its own context.
        browser = launch_browser(pw)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def notebook_path(lab_server: LabServer, request: pytest.FixtureRequest) -> str:
    """A fresh, empty Python notebook named after the test; path relative to the root."""
    name = slug(request.node.name)[:80] + ".ipynb"
    write_notebook(lab_server.root_dir / name)
    return name


@pytest.fixture
def lab(
    browser: Any, lab_server: LabServer, notebook_path: str, request: pytest.FixtureRequest
) -> Iterator[LabPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    lab_page = LabPage(page, lab_server, notebook_path, slug(request.node.name), SCREENSHOTS)
    try:
        lab_page.open()
        yield lab_page
    finally:
        report = getattr(request.node, "ui_report_call", None)
        if report is None or report.failed:
            # The page may be gone; the failure itself is what matters.
            with contextlib.suppress(Exception):
                lab_page.screenshot("-failure")
        context.close()
        lab_server.shutdown_sessions(notebook_path)
