"""An nbconvert preprocessor that executes a notebook with the cells ``%build`` inserts kept.

``jupyter nbconvert --execute`` runs the notebook in memory and writes its own copy: the
cells a build inserts in the kernel's copy would only show as the ``%build`` cell's output.
Use this preprocessor instead of ``--execute``::

    jupyter nbconvert --to notebook \\
        --NotebookExporter.preprocessors=jupyter_plan.run.nbconvert.ExecutePlan analysis.ipynb

It executes like nbconvert's ``ExecutePreprocessor`` (same options: ``--ExecutePlan.timeout``
…), tells the kernel which notebook it runs, and turns each ``%build`` cell's built cells
into cells right after it ran (``run/expand.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbclient import NotebookClient
from nbconvert.preprocessors import ExecutePreprocessor

from jupyter_plan.run.expand import execute_expanding
from jupyter_plan.run.runner import kernel_env


class ExecutePlan(ExecutePreprocessor):
    """nbconvert's ``ExecutePreprocessor``, keeping built cells (see the module doc)."""

    def preprocess(self, nb: Any, resources: Any = None, km: Any = None) -> tuple[Any, Any]:
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        meta = (resources or {}).get("metadata", {})
        source = Path(meta.get("path") or ".") / f"{meta.get('name', '')}.ipynb"
        env = kernel_env(source) if meta.get("name") and source.is_file() else None
        with self.setup_kernel(**({"env": env} if env else {})):
            assert self.kc is not None
            info = self.wait_for_reply(self.kc.kernel_info())
            if info is not None:
                self.nb.metadata["language_info"] = info["content"]["language_info"]
            execute_expanding(
                self.nb, lambda cell, index: self.preprocess_cell(cell, resources, index), self
            )
        self.set_widgets_metadata()
        return self.nb, self.resources
