"""The one atomic write never adds a credential in use to a file, nor to a file name."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_plan.record.atomic import CredentialInPath, write_atomic

KEY = "groq-planted-0123456789"


@pytest.fixture(autouse=True)
def planted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_API_KEY", KEY)


def test_a_credential_is_written_as_redacted(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    write_atomic(path, f"# Plan\nuse {KEY} here\n")
    assert path.read_text() == "# Plan\nuse [REDACTED] here\n"
    write_atomic(path, f"{KEY}".encode())
    assert path.read_bytes() == b"[REDACTED]"


def test_a_credential_the_file_already_held_is_the_person_s(tmp_path: Path) -> None:
    notebook = tmp_path / "mine.ipynb"
    notebook.write_text(f'{{"source": "key = \'{KEY}\'"}}')  # the person put it there
    write_atomic(notebook, f'{{"source": "key = \'{KEY}\'", "outputs": []}}')
    assert KEY in notebook.read_text()


def test_a_file_name_holding_a_credential_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CredentialInPath) as info:
        write_atomic(tmp_path / f"{KEY}.md", "plan")
    assert isinstance(info.value, PermissionError) and KEY not in str(info.value)
    assert list(tmp_path.iterdir()) == []
