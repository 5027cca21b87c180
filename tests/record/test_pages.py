"""Pages: the store, the context a planner and builder get, the magics, and the policy guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from jupyter_plan.agent.pages_context import fit, pages_context, pages_named_in
from jupyter_plan.models import Plan
from jupyter_plan.notebook import pages_magic
from jupyter_plan.policy.from_settings import engine_from
from jupyter_plan.policy.types import Decision, Mode
from jupyter_plan.record.pages import (
    PageError,
    PageNotFound,
    PageStore,
    next_plan_cell,
    page_from_plan,
    suggest_page,
)
from jupyter_plan.record.store import PlanStore
from jupyter_plan.settings import load_settings
from jupyter_plan.testing.plans import approved_plan

from ..agent.test_planner import PLAN_V1


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".jupyter_plan").mkdir(parents=True)
    return root


def env(tmp_path: Path) -> dict[str, str]:
    return {
        "JUPYTER_PLAN_USER_DIR": str(tmp_path / "user"),
        "JUPYTER_PLAN_ADMIN_DIR": str(tmp_path / "admin"),
    }


# -- the store ------------------------------------------------------------------------


def test_new_list_read_and_never_overwrite(root: Path) -> None:
    store = PageStore(root / ".jupyter_plan" / "pages")
    assert store.names() == []
    made = store.new("data-notes", "# Data notes\n\nAmounts are in EUR.\n")
    assert made.path == root / ".jupyter_plan" / "pages" / "data-notes.md"
    assert store.names() == ["data-notes"] and store.read("data-notes").title == "Data notes"
    with pytest.raises(PageError, match="exists already"):
        store.new("data-notes", "other")
    assert "EUR" in made.path.read_text()
    blank = store.new("style")  # the template names how to use it
    assert "%%plan --page style" in blank.text


@pytest.mark.parametrize("name", ["../x", "a b", ".hidden", "", "x/y"])
def test_bad_names_are_one_line(root: Path, name: str) -> None:
    with pytest.raises(PageError, match="invalid page name"):
        PageStore(root / "pages").path_of(name)


def test_a_missing_page_names_the_pages_there_are(root: Path) -> None:
    store = PageStore(root / "pages")
    store.new("guide", "# Guide\n")
    with pytest.raises(PageNotFound, match=r"no page 'gide'.*pages: guide"):
        store.read("gide")


# -- the context ----------------------------------------------------------------------


def test_fit_trims_the_largest_first() -> None:
    assert fit([100, 200], 400) is None
    cut = fit([100, 1000, 5000], 1500)
    assert cut is not None and 100 + 2 * cut <= 1500 and 100 + 2 * (cut + 1) > 1500


def test_pages_context_holds_the_pages_and_says_what_was_trimmed(root: Path) -> None:
    store = PageStore(root / "pages")
    store.new("small", "# Small\nkeep me whole\n")
    store.new("big", "# Big\n" + "x" * 10_000 + "TAIL\n")
    whole = pages_context(store, ["small", "big"], budget_tokens=100_000, root=root, show_list=True)
    assert "keep me whole" in whole.text and "TAIL" in whole.text and not whole.trimmed
    assert "- `big` — Big" in whole.text  # the list the planner chooses from
    tight = pages_context(store, ["small", "big"], budget_tokens=1000, root=root, show_list=False)
    assert "keep me whole" in tight.text  # the small page fits whole
    assert "TAIL" not in tight.text and tight.trimmed == ["big: 1978 of 10011 characters"]
    assert "trimmed, largest first" in tight.text and "read_file 'pages/big.md'" in tight.text
    assert "- `big`" not in tight.text  # the builder gets no list
    with pytest.raises(PageNotFound):
        pages_context(store, ["nope"], budget_tokens=1000, root=root, show_list=False)


def test_the_planner_chooses_pages_under_a_pages_section() -> None:
    body = "# T\n\n## Pages\n- `guide`\n- unknown\n\n## Steps\n- guide\n"
    assert pages_named_in(body, ["guide", "other"]) == ["guide"]


# -- turn into a page -----------------------------------------------------------------


def test_turn_into_a_page_and_the_size_hint(root: Path) -> None:
    plan_dir = root / ".jupyter_plan" / "plans"
    plan = approved_plan(plan_dir, "rev", PLAN_V1)
    pages = PageStore(root / "pages")
    made = page_from_plan(pages, plan)
    assert made.name == "revenue-by-region" and PLAN_V1.strip() in made.text
    assert next_plan_cell(made, plan) == "%%plan --page revenue-by-region\nRevenue by region\n"
    again = page_from_plan(pages, plan)
    assert again.name == "revenue-by-region-2"  # never overwrites the first
    assert PlanStore(plan_dir).load("rev").markdown == PLAN_V1  # the plan is left as it was
    assert suggest_page(plan, len(PLAN_V1)) is None
    hint = suggest_page(plan, 100)
    assert hint is not None and "%plan page from-plan rev" in hint


def test_front_matter_of_a_plan_without_pages_is_unchanged(root: Path) -> None:
    plan = approved_plan(root / "plans", "rev", PLAN_V1)
    text = (root / "plans" / "rev.md").read_text()
    assert "pages" not in yaml.safe_load(text.split("---\n")[1])
    with_pages = plan.model_copy(update={"pages": ["guide"]})
    PlanStore(root / "plans").save(with_pages)
    assert PlanStore(root / "plans").load("rev").pages == ["guide"]
    assert "pages:\n- guide" in (root / "plans" / "rev.md").read_text()
    assert Plan.model_validate(plan.model_dump()).pages == []


# -- the policy: pages are the person's -----------------------------------------------


@pytest.mark.parametrize("mode", [Mode.PLAN, Mode.DEFAULT, Mode.AUTO_EDIT, Mode.YOLO])
@pytest.mark.parametrize(
    "path",
    ["../pages/guide.md", ".jupyter_plan/pages/guide.md", "{root}/.jupyter_plan/pages/new.md"],
)
def test_no_tool_writes_a_page_in_any_mode(
    root: Path, tmp_path: Path, mode: Mode, path: str
) -> None:
    resolved = load_settings(root, env=env(tmp_path))
    engine = engine_from(resolved, env=env(tmp_path))
    args = {"file_path": path.format(root=root), "content": "pwned"}
    for tool in ("write_file", "replace"):
        decision = engine.decide(tool, args, mode, interactive=False)
        assert decision.decision is Decision.DENY, (tool, mode, path, decision.reason)
    if mode is not Mode.PLAN and path.startswith(".jupyter_plan"):
        assert "Pages are the person's" in engine.decide("write_file", args, mode).reason
    other = {"file_path": "notes.md", "content": "fine"}
    if mode is Mode.YOLO:  # the guard closes the pages folder only
        assert engine.decide("write_file", other, mode).decision is Decision.ALLOW


def test_a_person_s_rule_may_open_the_pages_folder(root: Path, tmp_path: Path) -> None:
    policies = root / ".jupyter_plan" / "policies"
    policies.mkdir()
    (policies / "pages.toml").write_text(
        '[[rule]]\ntoolName = "write_file"\nargsPattern = "pages/"\n'
        'decision = "allow"\npriority = 200\nmodes = ["autoEdit"]\n'
    )
    resolved = load_settings(root, env=env(tmp_path))
    engine = engine_from(resolved, env=env(tmp_path))
    args: dict[str, Any] = {"file_path": ".jupyter_plan/pages/guide.md", "content": "ok"}
    assert engine.decide("write_file", args, Mode.AUTO_EDIT).decision is Decision.ALLOW
    assert engine.decide("write_file", args, Mode.YOLO).decision is Decision.DENY


def test_the_pages_folder_is_a_setting(root: Path, tmp_path: Path) -> None:
    (root / ".jupyter_plan" / "settings.json").write_text(
        '{"version": 1, "pages": {"directory": "context"}}'
    )
    resolved = load_settings(root, env=env(tmp_path))
    assert resolved.pages_dir == root.absolute() / "context"
    engine = engine_from(resolved, env=env(tmp_path))
    args = {"file_path": "context/a.md", "content": "x"}
    assert engine.decide("write_file", args, Mode.YOLO).decision is Decision.DENY
    ok = {"file_path": ".jupyter_plan/pages/a.md", "content": "x"}
    assert engine.decide("write_file", ok, Mode.YOLO).decision is Decision.ALLOW


# -- the magics -----------------------------------------------------------------------


@pytest.fixture
def shell(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> InteractiveShell:
    for key, value in env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_plan")
    return ip


def test_page_magics(
    shell: InteractiveShell,
    root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(pages_magic, "display", lambda md: shown.append(md.data))
    shell.run_line_magic("plan", "page list")
    assert "No pages yet" in shown[-1]
    shell.run_line_magic("plan", "page new guide")
    assert (root / ".jupyter_plan" / "pages" / "guide.md").is_file()
    assert "%%plan --page guide" in capsys.readouterr().out
    shell.run_line_magic("plan", "page list")
    assert "`guide`" in shown[-1]
    shell.run_line_magic("plan", "page show guide")
    assert "# Guide" in shown[-1]
    with pytest.raises(UsageError, match="no page 'nope'"):
        shell.run_line_magic("plan", "page show nope")
    with pytest.raises(UsageError, match="expected %plan page list"):
        shell.run_line_magic("plan", "page delete guide")
    with pytest.raises(UsageError, match="invalid page name"):
        shell.run_line_magic("plan", "page new ../x")


def test_from_plan_puts_the_new_plan_cell_below(
    shell: InteractiveShell, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    approved_plan(root / ".jupyter_plan" / "plans", "rev", PLAN_V1)
    shell.run_line_magic("plan", "page from-plan rev")
    assert "now page 'revenue-by-region'" in capsys.readouterr().out
    assert (root / ".jupyter_plan" / "pages" / "revenue-by-region.md").is_file()
    cell = "%%plan --page revenue-by-region\nRevenue by region\n"
    assert shell.rl_next_input == cell  # a kernel sends it as a set_next_input payload
