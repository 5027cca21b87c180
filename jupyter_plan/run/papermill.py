"""``papermill --engine jupyter_plan``: papermill, with the cells ``%build`` inserts kept.

Papermill holds the notebook in memory and writes the output notebook from it, so the cells
a build inserts in the kernel's copy would only show as the ``%build`` cell's output. This
engine (registered under the ``papermill.engine`` entry point) runs cells as papermill's
own ``nbclient`` engine does, tells the kernel which notebook it runs, and turns each
``%build`` cell's built cells into cells of the output notebook right after it ran
(``run/expand.py``). Parameters, ``--cwd``, logging and progress work as usual::

    papermill --engine jupyter_plan analysis.ipynb out.ipynb -p region North
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellExecutionError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from jupyter_plan.run.expand import execute_expanding
from jupyter_plan.run.runner import kernel_env


class _Stopped(Exception):
    """A cell failed: papermill stops there and reports it from the notebook."""


class PlanNotebookClient(PapermillNotebookClient):
    """Papermill's client, executing with :func:`execute_expanding`."""

    def papermill_execute_cells(self) -> None:
        manager = self.nb_man

        def execute(cell: Any, index: int) -> None:
            try:
                manager.cell_start(cell, index)
                self.execute_cell(cell, index)
            except CellExecutionError as exc:
                manager.cell_exception(cell, cell_index=index, exception=exc)
                raise _Stopped from None
            finally:
                manager.cell_complete(cell, cell_index=index)

        def inserted(cell: Any, index: int) -> None:  # it ran in the kernel, during %build
            cell.metadata.papermill = dict(
                exception=None, start_time=None, end_time=None, duration=None, status="completed"
            )

        with contextlib.suppress(_Stopped):
            execute_expanding(self.nb, execute, self, on_inserted=inserted)


class PlanEngine(NBClientEngine):
    """The ``jupyter_plan`` papermill engine (see the module doc)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        source = kwargs.get("input_path")
        env = None
        if isinstance(source, str) and Path(source).is_file():
            env = kernel_env(Path(source))
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PlanNotebookClient(nb_man, **final_kwargs)
        return client.execute(env=env) if env is not None else client.execute()
