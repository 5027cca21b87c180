"""Path confinement: one function, every escape refused with both paths named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_plan.policy.paths import PathEscapeError, confine, is_inside


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "Plans"
    (r / "sub").mkdir(parents=True)
    (r / "sub" / "a.md").write_text("x")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("s")
    (r / "dirlink").symlink_to(tmp_path / "outside")
    (r / "filelink.md").symlink_to(tmp_path / "outside" / "secret.txt")
    (r / "innerlink").symlink_to(r / "sub")
    return r


ACCEPTED = [
    "a.md",
    "sub/a.md",
    "sub/../b.md",
    "./sub/./c.md",
    "new/folder/d.md",  # does not exist yet
    "innerlink/a.md",  # a symlink that stays inside
    "r\u00e9sum\u00e9.md",  # ordinary Unicode names are fine
]

REFUSED = [
    ("../x.md", "resolves to"),
    ("sub/../../x.md", "resolves to"),
    ("/etc/passwd", "resolves to"),
    ("dirlink/secret.txt", "resolves to"),
    ("filelink.md", "resolves to"),
    ("dirlink", "resolves to"),
    ("a\x00.md", "NUL"),
    ("a\n.md", "control"),
    ("~/x.md", "'~' is not expanded"),
    ("~root/x.md", "'~' is not expanded"),
    ("..\\..\\x.md", "backslashes"),
    ("sub\\a.md", "backslashes"),
    ("\uff0e\uff0e/x.md", "normalised form"),  # U+FF0E FULLWIDTH FULL STOP
    ("\u2024\u2024/x.md", "normalised form"),  # ONE DOT LEADER, twice
    ("\u2025/x.md", "normalised form"),  # TWO DOT LEADER
    ("\uff0e\uff0e\uff0fx.md", "normalised form"),  # full-width dots and solidus
    ("", "empty"),
]


@pytest.mark.parametrize("path", ACCEPTED)
def test_accepted(root: Path, path: str) -> None:
    resolved = confine(path, root)
    assert resolved.is_absolute()
    assert str(resolved).startswith(os.path.realpath(root))


@pytest.mark.parametrize(("path", "why"), REFUSED)
def test_refused_with_both_paths(root: Path, path: str, why: str) -> None:
    with pytest.raises(PathEscapeError) as info:
        confine(path, root)
    message = str(info.value)
    assert why in message
    assert repr(path) in message  # names the path asked for
    assert str(root) in message  # and the root it must stay in
    assert not is_inside(path, root)


def test_absolute_path_inside_is_accepted(root: Path) -> None:
    assert confine(str(root / "sub" / "a.md"), root) == Path(os.path.realpath(root / "sub/a.md"))


def test_case_lookalike_of_root_is_outside(root: Path, tmp_path: Path) -> None:
    # On a case-sensitive file system "plans" is another folder; it must not pass for "Plans".
    (tmp_path / "plans").mkdir()
    with pytest.raises(PathEscapeError):
        confine(str(tmp_path / "plans" / "x.md"), root)


def test_sibling_with_common_prefix_is_outside(root: Path, tmp_path: Path) -> None:
    (tmp_path / "Plans-evil").mkdir()
    with pytest.raises(PathEscapeError):
        confine(str(tmp_path / "Plans-evil" / "x.md"), root)


def test_root_given_through_symlink(root: Path, tmp_path: Path) -> None:
    link = tmp_path / "rootlink"
    link.symlink_to(root)
    assert confine("sub/a.md", link) == Path(os.path.realpath(root / "sub" / "a.md"))


def test_never_rewritten(root: Path) -> None:
    # An escape is refused, not clamped into the root.
    with pytest.raises(PathEscapeError):
        confine("../../../../etc/passwd", root)
