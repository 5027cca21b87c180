"""Tool calls in the notebook's words: what the agent is doing, and what an approval allows.

The status line says "Inspecting `sales`" rather than "running inspect_variable"; an
approval card says "Insert a code cell at the end of the notebook and run it, for step S1
(Summarise by region)" rather than "Allow insert_cell?". The views add cell numbers (they
know the notebook); these sentences stand alone where cell ids are all there is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jupyter_plan.models import ApprovalRequest, Plan

_ACTIVITY = {
    "list_cells": "Looking at the notebook",
    "read_cells": "Reading cells",
    "search_cells": "Searching the cells",
    "list_variables": "Listing the kernel's variables",
    "list_directory": "Listing files",
    "glob": "Looking for files",
    "grep_search": "Searching files",
    "ask_user": "Asking you",
    "activate_skill": "Reading a skill",
    "exit_plan_mode": "Submitting the plan",
    "update_step": "Ticking off a step",
    "insert_cell": "Inserting a cell",
    "delete_cell": "Deleting cells",
    "run_shell_command": "Running a shell command",
}


def activity(tool: str, arguments: str | dict[str, Any] | None) -> str:
    """The agent's current tool call as a short sentence ("Inspecting `sales`")."""
    args = _args(arguments)
    if tool == "inspect_variable" and args.get("name"):
        return f"Inspecting `{args['name']}`"
    if tool == "read_file" and args.get("file_path"):
        return f"Reading {args['file_path']}"
    if tool in ("write_file", "replace"):
        target = str(args.get("file_path") or "")
        return "Writing the plan" if target.endswith(".md") else f"Writing {target or 'a file'}"
    if tool == "edit_cell" and args.get("cell_id"):
        return f"Editing cell {args['cell_id']}"
    if tool == "run_cell" and args.get("cell_id"):
        return f"Running cell {args['cell_id']}"
    if tool == "read_cells" and isinstance(args.get("cell_ids"), list):
        return f"Reading cells {', '.join(map(str, args['cell_ids'][:4]))}"
    return _ACTIVITY.get(tool, f"Using {tool}")


@dataclass(frozen=True)
class ApprovalWords:
    """What an approval allows: ``what`` happens, ``where``, ``step`` of the plan."""

    what: str
    where: str = ""
    step: str = ""
    language: str = "text"  # how to highlight the preview: python, markdown, shell, diff, text

    def sentence(self) -> str:
        return " ".join(p for p in (self.what, self.where, self.step) if p) + "?"


def approval_words(request: ApprovalRequest, plan: Plan | None = None) -> ApprovalWords:
    args, tool = request.args, request.tool
    step = _step(args.get("step_id"), plan)
    if tool == "insert_cell":
        kind = str(args.get("cell_type") or "code")
        what = "Insert a code cell and run it" if kind == "code" else f"Insert a {kind} cell"
        if args.get("after"):
            where = f"after cell {args['after']}"
        elif args.get("before"):
            where = f"before cell {args['before']}"
        else:
            where = "at the end of the notebook"
        return ApprovalWords(what, where, step, "python" if kind == "code" else "markdown")
    if tool == "edit_cell":
        cell = args.get("cell_id", "?")
        return ApprovalWords(f"Change cell {cell} and run it", "", step, "diff")
    if tool == "run_cell":
        return ApprovalWords(f"Run cell {args.get('cell_id', '?')}", "", step, "python")
    if tool == "delete_cell":
        ids = [str(i) for i in args.get("cell_ids") or []]
        noun = "cell" if len(ids) == 1 else "cells"
        return ApprovalWords(f"Delete {noun} {', '.join(ids)}", "", step, "python")
    if tool == "write_file":
        return ApprovalWords(f"Write the file {args.get('file_path', '?')}", "", step, "text")
    if tool == "run_shell_command":
        return ApprovalWords("Run a shell command", "in the project folder", step, "shell")
    return ApprovalWords(f"Use the tool {tool}", "", step, "text")


def _step(step_id: object, plan: Plan | None) -> str:
    if not isinstance(step_id, str) or not step_id:
        return ""
    title = next((s.title for s in plan.steps if s.id == step_id), "") if plan else ""
    return f"for step {step_id} ({title})" if title else f"for step {step_id}"


def _args(arguments: str | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(arguments, dict):
        return arguments
    try:
        value = json.loads(arguments or "{}")
    except (json.JSONDecodeError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}
