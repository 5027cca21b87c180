"""A shell command that writes into the pages folder is refused as ``write_file`` is: in
every mode, yolo included, unless the person's own rule allowed it; reading pages is fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_plan.policy.loader import PolicyFile, builtin_files, load_rules
from jupyter_plan.policy.pages_guard import REFUSED, PagesGuardedEngine
from jupyter_plan.policy.types import Decision, Mode, Tier, ToolKind

SHELL = "run_shell_command"
REFUSED_START = REFUSED.split("{", 1)[0]  # "Pages are the person's: "
BUILD_MODES = [Mode.YOLO, Mode.AUTO_EDIT, Mode.DEFAULT]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".jupyter_plan" / "pages").mkdir(parents=True)
    (root / ".jupyter_plan" / "plans").mkdir()
    (root / ".jupyter_plan" / "pages" / "a.md").write_text("# A\n", encoding="utf-8")
    (root / "data").mkdir()
    return root


def engine(project: Path, user: str | None = None) -> PagesGuardedEngine:
    files = builtin_files()
    if user is not None:
        path = project.parent / "user.toml"
        path.write_text(user, encoding="utf-8")
        files.append(PolicyFile(str(path), Tier.USER))
    return PagesGuardedEngine(
        load_rules(files),
        pages_dir=project / ".jupyter_plan" / "pages",
        plan_dir=project / ".jupyter_plan" / "plans",
        workspace_root=project,
    )


WRITES = [
    "echo x > .jupyter_plan/pages/a.md",
    "echo x >> .jupyter_plan/pages/new.md",
    "printf '%s' x &> ./.jupyter_plan/pages/a.md",
    "rm .jupyter_plan/pages/a.md",
    "rm -rf .jupyter_plan",  # the folder holding the pages
    "sed -i s/A/B/ pages/a.md",  # relative to the pages folder's parent
    "sed -i s/A/B/ ../pages/a.md",  # relative to the plan directory
    "cd .jupyter_plan && sed -i s/A/B/ pages/a.md",
    "cd .jupyter_plan/pages && rm a.md",
    "cat data/x.csv | tee .jupyter_plan/pages/copy.md",
    "mv data/notes.md '.jupyter_plan/pages/notes.md'",
    "rm .jupyter_plan/pages/*",
    "rm .jupyter_plan/pag*/a.md",
    "ls && bash -c 'rm .jupyter_plan/pages/a.md'",
    "eval 'touch .jupyter_plan/pages/b.md'",
    "sudo cp data/x.md .jupyter_plan/pages/",
    "python tool.py --out=.jupyter_plan/pages/a.md",
    "rm $(echo .jupyter_plan/pages/a.md)",
    "rm `ls -d .jupyter_plan/pages`/a.md",
]


@pytest.mark.parametrize("mode", BUILD_MODES)
@pytest.mark.parametrize("command", WRITES)
def test_a_shell_write_into_the_pages_folder_is_refused(
    project: Path, command: str, mode: Mode
) -> None:
    result = engine(project).decide(SHELL, {"command": command}, mode, interactive=True)
    assert result.decision is Decision.DENY, (command, mode, result.reason)
    assert result.reason.startswith(REFUSED_START), result.reason
    assert "\n" not in result.reason


def test_plan_mode_denies_it_too(project: Path) -> None:
    result = engine(project).decide(SHELL, {"command": WRITES[0]}, Mode.PLAN)
    assert result.decision is Decision.DENY


READS = [
    "cat .jupyter_plan/pages/a.md",
    "grep -n A .jupyter_plan/pages/*.md | head -3",
    "ls .jupyter_plan/pages && wc -l .jupyter_plan/pages/a.md",
    "cat .jupyter_plan/pages/a.md > data/copy.md",  # reads a page, writes elsewhere
    "echo x > data/out.txt 2>&1",
    "rm -rf data/tmp",
    "python -m pytest .",  # the project root holds the pages, but is not "the pages"
]


@pytest.mark.parametrize("command", READS)
def test_reading_pages_and_writing_elsewhere_stay_allowed_in_yolo(
    project: Path, command: str
) -> None:
    result = engine(project).decide(SHELL, {"command": command}, Mode.YOLO)
    assert result.decision is Decision.ALLOW, (command, result.reason)


def test_the_person_s_own_rule_keeps_its_force(project: Path) -> None:
    rule = (
        '[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "sed -i"\n'
        'decision = "allow"\npriority = 100\n'
    )
    opened = engine(project, user=rule)
    command = "sed -i s/A/B/ .jupyter_plan/pages/a.md"
    for mode in BUILD_MODES:
        assert opened.decide(SHELL, {"command": command}, mode).decision is Decision.ALLOW
    other = opened.decide(SHELL, {"command": "rm .jupyter_plan/pages/a.md"}, Mode.YOLO)
    assert other.decision is Decision.DENY  # only what the rule names


def test_a_symlink_into_the_pages_folder_is_followed(project: Path) -> None:
    (project / "notes").symlink_to(project / ".jupyter_plan" / "pages")
    result = engine(project).decide(SHELL, {"command": "rm notes/a.md"}, Mode.YOLO)
    assert result.decision is Decision.DENY


def test_write_file_into_the_pages_folder_is_refused_as_before(project: Path) -> None:
    args = {"file_path": ".jupyter_plan/pages/a.md", "content": "x"}
    result = engine(project).decide("write_file", args, Mode.YOLO)
    assert result.decision is Decision.DENY and result.reason.startswith(REFUSED_START)


def test_the_guard_takes_the_engine_s_arguments_by_keyword_too(project: Path) -> None:
    guarded = engine(project)
    seen: list[Decision] = []
    guarded.audit = lambda result: seen.append(result.decision)
    args = {"file_path": ".jupyter_plan/pages/a.md"}
    result = guarded.decide(tool="export_page", args=args, mode=Mode.YOLO, kind=ToolKind.WRITE)
    assert result.decision is Decision.DENY and result.reason.startswith(REFUSED_START)
    assert seen == [Decision.DENY]  # audited once, with the guard's decision
    command = {"command": "rm .jupyter_plan/pages/a.md"}
    assert guarded.decide("bash", command, "yolo", kind=ToolKind.SHELL).decision is Decision.DENY
    assert seen == [Decision.DENY, Decision.DENY]
