"""Tool calls in the notebook's words, errors said once with their fix, the action table."""

from __future__ import annotations

import pytest

from jupyter_plan.agent.client import ModelError
from jupyter_plan.agent.runs import RunSetupError
from jupyter_plan.models import ApprovalRequest
from jupyter_plan.ui import phases
from jupyter_plan.ui.errors import describe
from jupyter_plan.ui.words import activity, approval_words

from .conftest import large_plan


@pytest.mark.parametrize(
    ("tool", "args", "said"),
    [
        ("inspect_variable", '{"name": "sales"}', "Inspecting `sales`"),
        ("read_cells", '{"cell_ids": ["a", "b"]}', "Reading cells a, b"),
        ("write_file", '{"file_path": "p.md"}', "Writing the plan"),
        ("run_cell", '{"cell_id": "c4"}', "Running cell c4"),
        ("ask_user", "{}", "Asking you"),
        ("something_new", "not json", "Using something_new"),
    ],
)
def test_activity_in_words(tool: str, args: str, said: str) -> None:
    assert activity(tool, args) == said


@pytest.mark.parametrize(
    ("tool", "args", "sentence"),
    [
        (
            "insert_cell",
            {"source": "x", "step_id": "S1"},
            "Insert a code cell and run it at the end of the notebook for step S1 "
            "(Step number 1)?",
        ),
        ("insert_cell", {"source": "x", "before": "c2", "cell_type": "markdown"},
         "Insert a markdown cell before cell c2?"),
        ("edit_cell", {"cell_id": "c3", "source": "y", "step_id": "S9"},
         "Change cell c3 and run it for step S9 (Step number 9)?"),
        ("delete_cell", {"cell_ids": ["a", "b"]}, "Delete cells a, b?"),
        ("run_shell_command", {"command": "ls"}, "Run a shell command in the project folder?"),
    ],
)  # fmt: skip
def test_approvals_in_notebook_words(tool: str, args: dict[str, object], sentence: str) -> None:
    request = ApprovalRequest(tool=tool, args=args, reason="r")
    assert approval_words(request, large_plan()).sentence() == sentence


def test_errors_name_the_fix_and_keep_details_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-0123456789abcdef")
    auth = describe(
        ModelError("model 'm' at u: auth after 1 attempt: sk-planted-0123456789abcdef", kind="auth")
    )
    assert auth.message == "The model provider refused the API key."
    assert "restart JupyterLab" in auth.fix
    assert "sk-planted" not in auth.details and "auth after 1 attempt" in auth.details
    none = describe(RunSetupError("no model is configured: set JUPYTER_PLAN_MODEL, …"))
    assert none.message == "No model is configured."
    assert ".jupyter_plan/settings.json" in none.fix and "restart JupyterLab" in none.fix


def test_other_errors_keep_their_first_line_and_their_causes() -> None:
    try:
        try:
            raise OSError("disk full")
        except OSError as cause:
            raise RuntimeError("could not save\nmore lines") from cause
    except RuntimeError as error:
        view = describe(error)
    assert view.message == "could not save" and view.fix == ""
    assert "more lines" in view.details and "caused by OSError: disk full" in view.details


@pytest.mark.parametrize(
    ("kind", "phase", "status", "undoable", "actions"),
    [
        ("plan", "working", None, False, ["stop"]),
        ("plan", "asking", None, False, ["stop"]),
        ("plan", "awaiting_review", "awaiting_review", False,
         ["approve_auto_edit", "approve_default", "iterate", "reject"]),
        ("plan", "approved", "approved", False, ["build"]),
        ("plan", "approved", "building", False, []),
        ("plan", "approved", "built", True, ["undo", "rebuild"]),
        ("plan", "failed", None, False, ["retry"]),
        ("plan", "stopped", "drafting", False, ["resume"]),
        ("plan", "rejected", "rejected", False, []),
        ("plan", "answered", None, False, ["retry"]),
        ("build", "answered", "building", False, []),
        ("build", "confirming", "building", False, ["stop"]),
        ("build", "built", "built", False, ["rebuild"]),
        ("build", "failed", "approved", True, ["retry", "undo"]),
        ("build", "undone", "approved", False, ["build"]),
    ],
)  # fmt: skip
def test_each_phase_offers_only_what_does_something(
    kind: phases.Kind, phase: str, status: str | None, undoable: bool, actions: list[str]
) -> None:
    assert phases.actions(kind, phase, status, undoable=undoable) == actions
    assert all(a in phases.ACTION_LABELS for a in actions)
