"""Plan Mode for Jupyter: plan with an LLM agent, approve, then build.

This module must stay light: ``import jupyter_plan`` and ``%load_ext jupyter_plan``
import neither litellm nor ipywidgets (they load at the first plan).
"""

from __future__ import annotations

import logging
from typing import Any

from jupyter_plan._version import __version__ as __version__

# bridge.base.PROTOCOL_VERSION (tests check they agree); repeated so %load_ext stays light.
_PROTOCOL_VERSION = 1


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-plan"}]


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%plan`` / ``%build`` magics (``%load_ext jupyter_plan``)."""
    from jupyter_plan.notebook.magics import PlanMagics

    ipython.register_magics(PlanMagics)
    if getattr(ipython, "kernel", None) is not None:  # a kernel: JupyterLab panels may connect
        import comm

        from jupyter_plan.bridge.history import install  # stdlib only: what cells output

        install(ipython.kernel)
        from jupyter_plan.notebook.warmup import schedule  # stdlib only: starts after this cell

        schedule(ipython)

        def open_panel(comm: Any, msg: dict[str, Any]) -> None:
            _open_panel(ipython, comm, msg)

        comm.get_comm_manager().register_target("jupyter_plan", open_panel)
        _announce(comm)


def _announce(comm_package: Any) -> None:
    """A tab opened before ``%load_ext`` found no target and gave up: ring it to retry."""
    try:
        doorbell = comm_package.create_comm(
            target_name="jupyter_plan", data={"op": "announce", "protocol": _PROTOCOL_VERSION}
        )
        doorbell.close()
    except Exception:  # no frontend listening is normal (nbclient, a console)
        logging.getLogger(__name__).debug("jupyter_plan: announce failed", exc_info=True)


def _open_panel(shell: Any, comm: Any, msg: dict[str, Any]) -> None:
    """The ``jupyter_plan`` comm target. The bridge modules (pydantic models and all) load
    when the first panel connects, not at ``%load_ext``: loading stays light."""
    from jupyter_plan.bridge.locate import default_registry
    from jupyter_plan.notebook.kernel_session import KernelSession
    from jupyter_plan.notebook.pages_ops import attach_page_ops
    from jupyter_plan.notebook.sidebar import connect_sidebar

    session = KernelSession.of(shell)
    sidebar = connect_sidebar(session)
    attach_page_ops(session, default_registry(), sidebar.changed)  # pages, hand edits
    default_registry().handle_open(comm, msg)


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to tear down yet; kept so ``%unload_ext`` works."""
