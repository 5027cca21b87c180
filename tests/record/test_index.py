"""The plan index: the same listing as ``PlanStore.scan`` after any change to the plan files,
by this process, another process, a hand edit or a deletion, and a corrupt index rebuilt."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import pytest

from jupyter_plan.record import index as indexing
from jupyter_plan.record.index import INDEX_FILE, PlanIndex
from jupyter_plan.record.store import PlanStore
from jupyter_plan.testing.plans import approved_plan

PLAN_MD = "# {title}\n\n## Steps\n### S1. Load\nRead it.\nVerify: rows\n"


def _listed(index: PlanIndex) -> list[tuple[str, str, int, str | None]]:
    return [(o.id, o.status, o.revision, o.error and o.error[:20]) for o in index.outlines()]


def _scanned(plan_dir: Path) -> list[tuple[str, str, int, str | None]]:
    return [
        (e.id, e.plan.status.value if e.plan else "", e.plan.revision if e.plan else 0,
         e.error and e.error[:20])
        for e in PlanStore(plan_dir).scan()
    ]  # fmt: skip


def _make(plan_dir: Path, *ids: str) -> None:
    for plan_id in ids:
        approved_plan(plan_dir, plan_id, PLAN_MD.format(title=plan_id.title()))


def test_the_index_lists_what_the_store_scans_without_reading_revisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make(tmp_path, "a", "b", "c")
    (tmp_path / "README.md").write_text("# Not a plan\n")
    read: list[Path] = []
    real = PlanStore._revision_text
    monkeypatch.setattr(PlanStore, "_revision_text", lambda s, p: read.append(p) or real(s, p))
    index = PlanIndex(tmp_path)
    assert _listed(index) == _scanned(tmp_path)
    assert [o.id for o in index.outlines()] == ["c", "b", "a"]
    assert [o.title for o in index.outlines()] == ["C", "B", "A"]
    assert (tmp_path / INDEX_FILE).exists()
    read.clear()
    index.outlines()
    assert read == []


def test_a_new_process_starts_from_the_index_file_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make(tmp_path, "a", "b")
    PlanIndex(tmp_path).outlines()

    def refuse(*_: object) -> None:
        raise AssertionError("a plan file was parsed although its stamp is unchanged")

    monkeypatch.setattr(PlanIndex, "_outline", refuse)
    assert [o.id for o in PlanIndex(tmp_path).outlines()] == ["b", "a"]


def _save_in_another_process(plan_dir: str, plan_id: str) -> None:
    from jupyter_plan.record.store import PlanStore

    store = PlanStore(Path(plan_dir))
    plan = store.load(plan_id)
    store.save(plan.model_copy(update={"title": "Changed elsewhere"}))
    approved_plan(Path(plan_dir), "new-one", PLAN_MD.format(title="New"))


def test_a_save_by_another_kernel_shows_at_the_next_listing(tmp_path: Path) -> None:
    _make(tmp_path, "a", "b")
    index = PlanIndex(tmp_path)
    assert {o.id: o.title for o in index.outlines()} == {"a": "A", "b": "B"}
    process = multiprocessing.get_context("spawn").Process(
        target=_save_in_another_process, args=(str(tmp_path), "a")
    )
    process.start()
    process.join()
    assert process.exitcode == 0
    titles = {o.id: o.title for o in index.outlines()}
    assert titles == {"a": "Changed elsewhere", "b": "B", "new-one": "New"}
    assert _listed(index) == _scanned(tmp_path)


def test_a_deleted_plan_leaves_the_listing(tmp_path: Path) -> None:
    _make(tmp_path, "a", "b")
    index = PlanIndex(tmp_path)
    index.outlines()
    (tmp_path / "a.md").unlink()
    assert [o.id for o in index.outlines()] == ["b"]
    assert [o.id for o in PlanIndex(tmp_path).outlines()] == ["b"]  # the file says so too


def test_a_hand_edit_is_seen_and_a_broken_edit_listed_as_broken(tmp_path: Path) -> None:
    _make(tmp_path, "a", "b")
    index = PlanIndex(tmp_path)
    index.outlines()
    path = tmp_path / "a.md"
    path.write_text(path.read_text().replace("title: A", "title: Edited by hand"))
    assert {o.id: o.title for o in index.outlines()}["a"] == "Edited by hand"
    path.write_text(path.read_text().replace("status: approved", "status: [nonsense"))
    broken = {o.id: o for o in index.outlines()}["a"]
    assert broken.data is None and broken.error and "a.md" in broken.error
    assert _listed(index) == _scanned(tmp_path)
    entry = {e.id: e for e in index.entries()}["a"]
    assert entry.plan is None and entry.error == broken.error


def test_a_corrupt_index_is_rebuilt_with_one_line_and_nothing_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _make(tmp_path, "a", "b")
    PlanIndex(tmp_path).outlines()
    (tmp_path / INDEX_FILE).write_text('{"format": 1, "plans": {"a": {"stamp": [1, 2')
    with caplog.at_level(logging.WARNING, logger=indexing.__name__):
        assert [o.id for o in PlanIndex(tmp_path).outlines()] == ["b", "a"]
    [said] = [r.getMessage() for r in caplog.records]
    assert "\n" not in said and INDEX_FILE in said and "rebuilt" in said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=indexing.__name__):
        assert [o.id for o in PlanIndex(tmp_path).outlines()] == ["b", "a"]
    assert caplog.records == []  # rewritten whole


def test_an_index_entry_with_a_lying_shape_is_rebuilt(tmp_path: Path) -> None:
    _make(tmp_path, "a")
    PlanIndex(tmp_path).outlines()
    text = (tmp_path / INDEX_FILE).read_text()
    (tmp_path / INDEX_FILE).write_text(text.replace('"id":"a"', '"id":"zzz"'))
    assert [o.title for o in PlanIndex(tmp_path).outlines()] == ["A"]


def test_entries_are_whole_plans_and_kept_until_their_file_changes(tmp_path: Path) -> None:
    _make(tmp_path, "a", "b")
    index = PlanIndex(tmp_path)
    first = {e.id: e.plan for e in index.entries()}
    assert first["a"] is not None and first["a"].markdown.startswith("# A")
    again = {e.id: e.plan for e in index.entries()}
    assert again["a"] is first["a"]
    store = PlanStore(tmp_path)
    store.save(store.load("a").model_copy(update={"goal": "new goal"}))
    changed = {e.id: e.plan for e in index.entries()}
    assert changed["a"] is not None and changed["a"].goal == "new goal"
    assert changed["b"] is first["b"]


def test_no_plan_directory_lists_nothing_and_writes_nothing(tmp_path: Path) -> None:
    assert PlanIndex(tmp_path / "missing").outlines() == []
    assert not (tmp_path / "missing").exists()


def test_a_plan_whose_name_holds_a_key_is_not_listed_and_the_rest_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    key = "sk-abcdefghijklmnop123456"
    _make(tmp_path, f"plan-{key}", "other")  # the key was set later (or is a teammate's)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    with caplog.at_level(logging.WARNING, logger="jupyter_plan.record.index"):
        index = PlanIndex(tmp_path)
        assert [o.id for o in index.outlines()] == ["other"]
        assert [o.id for o in index.outlines()] == ["other"]
    assert [e.id for e in PlanStore(tmp_path).scan()] == ["other"]
    [warning] = caplog.messages  # said once, with the key redacted
    assert "is not listed: its name holds a credential" in warning and key not in warning
    assert (tmp_path / f"plan-{key}.md").exists()  # nothing deleted


def test_a_first_listing_checks_ids_against_credentials_found_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make(tmp_path, "a", "b", "c")
    found: list[int] = []
    real = indexing.credential_values
    monkeypatch.setattr(indexing, "credential_values", lambda: found.append(1) or real())
    assert len(PlanIndex(tmp_path).outlines()) == 3  # no index file: each plan is parsed
    assert found == [1]
