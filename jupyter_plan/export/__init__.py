"""``jupyter-plan export``: a report of a notebook's plans.

``report.py`` gathers what happened (plans, transcripts, built cells, decisions) from the
notebook and the plan store; ``markdown.py`` writes it as Markdown and ``html.py`` turns that
into a page. :func:`export` ties them together (the renderers load only when called).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from jupyter_plan.export.report import ExportError, Format, collect
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.redaction import redact_with, secret_values


def export(
    notebook: Path,
    fmt: Format = "md",
    output: Path | str | None = None,
    env: Mapping[str, str] = os.environ,
) -> tuple[str, Path | None]:
    """The report's text, and where it was written: ``<stem>.plans.<fmt>`` beside the notebook
    by default; ``output="-"`` writes nothing (the caller prints the text)."""
    from jupyter_plan.export.markdown import report_markdown

    reports = collect(notebook, env)
    text = report_markdown(notebook, reports)
    if fmt == "html":
        from jupyter_plan.export.html import markdown_to_page

        text = markdown_to_page(text, title=f"Plans in {notebook.name}")
    # Transcripts are redacted when written; this catches a key that reached a notebook output
    # or the saved plan JSON, and the key this process was given.
    text = redact_with(text, secret_values([env.get("JUPYTER_PLAN_API_KEY")]))
    if output is not None and str(output) == "-":
        return text, None
    target = Path(output) if output else notebook.with_name(f"{notebook.stem}.plans.{fmt}")
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise ExportError(f"{target}: cannot write the report ({exc.strerror or exc})") from None
    return text, target


__all__ = ["ExportError", "export"]
