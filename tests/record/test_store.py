"""Plan files: ids that never collide, exact round trips, atomic writes, clear errors."""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_plan.models import (
    Answer,
    Approach,
    Plan,
    PlanStatus,
    Question,
    QuestionRecord,
    Revision,
    Step,
    Usage,
)
from jupyter_plan.policy.paths import PathEscapeError
from jupyter_plan.record import atomic
from jupyter_plan.record import store as storage
from jupyter_plan.record.atomic import write_atomic
from jupyter_plan.record.store import (
    PlanFileError,
    PlanNotFound,
    PlanStore,
    PlanStoreError,
    slugify,
    split_front_matter,
)

DAY = date(2026, 11, 23)


@pytest.fixture
def store(tmp_path: Path) -> PlanStore:
    return PlanStore(tmp_path / "plans")


def full_plan(plan_id: str = "2026-11-23-clean-sales-data-3f9a") -> Plan:
    t = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)
    return Plan(
        id=plan_id,
        title="Clean sales data — Ünïcode ✓",
        goal="Clean the sales data.\nThen chart monthly revenue.\n\n---\nkeep: this line\n",
        status=PlanStatus.APPROVED,
        revisions=[
            Revision(
                number=1, markdown="# Clean\n\n## Steps\n### S1. Load\nVerify: ok\n", created=t
            ),
            Revision(
                number=2,
                markdown="# Clean v2\r\n\n---\n\n  trailing spaces   \n\n",
                feedback="use SQL: yes",
                created=t,
            ),
        ],
        steps=[
            Step(id="S1", title="Load", description="Read it", verification="shape", status="done"),
            Step(id="S2", title="Plot", status="failed", note="no data"),
        ],
        approaches=[
            Approach(title="pandas", summary="fast", recommended=True),
            Approach(title="sql"),
        ],
        chosen_approach="pandas",
        questions=[
            QuestionRecord(
                question=Question(question="Which file?", header="File", type="text"),
                answer=Answer(header="File", text="sales.csv"),
                at=t,
            )
        ],
        build_mode="auto_edit",
        model="openai/gpt-4o",
        usage=Usage(prompt_tokens=1200, completion_tokens=345, cost_usd=0.1 + 0.2),
        notebook_path="analysis/sales.ipynb",
        created=t,
        updated=t,
    )


# -- ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Clean sales data!", "clean-sales-data"),
        ("  Ünïcode   café  ", "unicode-cafe"),
        ("../../etc/passwd", "etc-passwd"),
        ("日本語", "plan"),
        ("", "plan"),
        ("word " * 30, "-".join(["word"] * 9)),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug
    assert len(slugify(title)) <= 48


def test_new_id_shape_and_reservation(store: PlanStore) -> None:
    plan_id = store.new_id("Clean sales data", today=DAY)
    assert re.fullmatch(r"2026-11-23-clean-sales-data-[0-9a-f]{4}", plan_id)
    assert store.folder_of(plan_id).is_dir()  # the reservation
    assert store.new_id("Clean sales data", today=DAY) != plan_id


def test_new_id_skips_an_id_whose_plan_file_exists(
    store: PlanStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffixes = iter(["aaaa", "bbbb"])
    monkeypatch.setattr(storage, "_random_hex", lambda n: next(suffixes))
    store.plan_dir.mkdir(parents=True)
    (store.plan_dir / "2026-11-23-t-aaaa.md").write_text("a plan whose folder was deleted")
    assert store.new_id("t", today=DAY) == "2026-11-23-t-bbbb"
    assert not (store.plan_dir / "2026-11-23-t-aaaa").exists()


def test_new_id_gives_up_with_a_clear_error(
    store: PlanStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "_random_hex", lambda n: "0" * (2 * n))
    store.new_id("t", today=DAY)
    store.new_id("t", today=DAY)  # the longer suffix after 8 tries
    with pytest.raises(PlanStoreError, match="could not reserve"):
        store.new_id("t", today=DAY)


def _tiny_suffix_space(nbytes: int) -> str:
    # Four short suffixes: concurrent reservations collide constantly and must retry.
    if nbytes == 2:
        return f"{random.randrange(4):04x}"
    return os.urandom(nbytes).hex()


def _reserve_and_save(plan_dir: Path, tag: str, count: int) -> list[tuple[str, str]]:
    store = PlanStore(plan_dir)
    made = []
    for i in range(count):
        plan_id = store.new_id("Same title", today=DAY)
        goal = f"{tag}-{i}"
        store.save(Plan(id=plan_id, title="Same title", goal=goal))
        made.append((plan_id, goal))
    return made


def _check_no_collision(store: PlanStore, made: list[tuple[str, str]], expected: int) -> None:
    ids = [plan_id for plan_id, _ in made]
    assert len(ids) == expected and len(set(ids)) == expected
    for plan_id, goal in made:  # nobody's plan was overwritten by another writer
        assert store.load(plan_id).goal == goal
    assert len(list(store.plan_dir.glob("*.md"))) == expected


def test_new_id_threads_never_collide(store: PlanStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "_random_hex", _tiny_suffix_space)
    threads, per_thread = 8, 10
    barrier = threading.Barrier(threads)
    results: list[list[tuple[str, str]]] = [[] for _ in range(threads)]

    def work(n: int) -> None:
        barrier.wait()  # start together
        results[n] = _reserve_and_save(store.plan_dir, f"t{n}", per_thread)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    _check_no_collision(store, [m for r in results for m in r], threads * per_thread)


def _process_worker(plan_dir: str, tag: str, count: int, barrier: Any, out: Any) -> None:
    storage._random_hex = _tiny_suffix_space  # this process only
    barrier.wait()
    out.put(_reserve_and_save(Path(plan_dir), tag, count))


def test_new_id_processes_never_collide(store: PlanStore) -> None:
    # Separate processes, as kernels are; fork where there is one (spawn re-imports everything).
    fork = "fork" in multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    procs, per_proc = 4, 12
    barrier, out = ctx.Barrier(procs), ctx.Queue()
    workers = [
        ctx.Process(
            target=_process_worker, args=(str(store.plan_dir), f"p{n}", per_proc, barrier, out)
        )
        for n in range(procs)
    ]
    for w in workers:
        w.start()
    made = [m for _ in workers for m in out.get(timeout=120)]
    for w in workers:
        w.join()
        assert w.exitcode == 0
    _check_no_collision(store, made, procs * per_proc)


# -- round trips and layout -------------------------------------------------------------


def test_round_trip_is_exact(store: PlanStore) -> None:
    plan = full_plan()
    store.save(plan)
    assert store.load(plan.id) == plan


def test_layout(store: PlanStore) -> None:
    plan = full_plan()
    path = store.save(plan)
    assert path == store.path_of(plan.id) == store.plan_dir / f"{plan.id}.md"
    text = path.read_bytes().decode()
    meta, body = split_front_matter(text)
    assert text.startswith("---\n") and meta is not None
    assert body == plan.markdown  # the current revision, readable on GitHub
    data = yaml.safe_load(meta)
    assert list(data)[:5] == ["id", "title", "goal", "status", "revision"]
    assert data["revision"] == 2 and data["status"] == "approved"
    assert data["steps"][0]["status"] == "done" and data["chosen_approach"] == "pandas"
    assert data["questions"][0]["answer"]["text"] == "sales.csv"
    assert "markdown" not in data["revisions"][0]  # revision text lives in r<N>.md
    for revision in plan.revisions:
        rpath = store.plan_dir / plan.id / f"r{revision.number}.md"
        assert rpath.read_bytes().decode() == revision.markdown


def test_older_revisions_are_never_lost(store: PlanStore) -> None:
    plan = full_plan()
    store.save(plan)
    stale = plan.model_copy(update={"revisions": plan.revisions[:1]})
    store.save(stale)  # e.g. another kernel's older copy
    r2 = store.plan_dir / plan.id / "r2.md"
    assert r2.read_bytes().decode() == plan.revisions[1].markdown
    assert store.load(plan.id) == stale


def test_revision_numbers_must_increase(store: PlanStore) -> None:
    plan = full_plan()
    plan.revisions[1].number = 1
    with pytest.raises(ValueError, match="must increase"):
        store.save(plan)


text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=text, goal=text, markdown=text, feedback=st.none() | text, note=st.none() | text)
def test_round_trip_any_text(
    store: PlanStore, title: str, goal: str, markdown: str, feedback: str | None, note: str | None
) -> None:
    plan = Plan(
        id="p",
        title=title,
        goal=goal,
        status=PlanStatus.AWAITING_REVIEW,
        revisions=[Revision(number=1, markdown=markdown, feedback=feedback)],
        steps=[Step(id="S1", title=title, description=goal, note=note)],
    )
    store.save(plan)
    assert store.load("p") == plan
    assert store.read_body("p") == markdown


# -- the model's draft and read_body ----------------------------------------------------


def test_read_body_with_and_without_front_matter(store: PlanStore) -> None:
    plan = Plan(id="p", title="T", goal="g")
    path = store.save(plan)
    assert store.read_body("p") == ""
    path.write_text("# Draft\n\n## Steps\n")  # the model's write tool: no front matter
    assert store.read_body("p") == "# Draft\n\n## Steps\n"
    path.write_text("---\nnot: [yaml\n---\n# T\n")  # a leading rule, not front matter
    assert store.read_body("p") == "---\nnot: [yaml\n---\n# T\n"
    with pytest.raises(PlanNotFound):
        store.read_body("missing")


def test_save_re_adds_front_matter_and_keeps_the_draft(store: PlanStore) -> None:
    plan = Plan(id="p", title="T", goal="g")
    path = store.save(plan)
    path.write_text("# Draft v1\n")
    # Drafting: the listing still works (metadata copy) and saving keeps the model's draft.
    assert store.load("p") == plan and [p.id for p in store.list()] == ["p"]
    store.save(plan.model_copy(update={"usage": Usage(prompt_tokens=5)}))
    assert split_front_matter(path.read_text())[0] is not None
    assert store.read_body("p") == "# Draft v1\n"
    # The model edits the file in place (its `replace` tool); submitting makes a revision.
    path.write_text(path.read_text().replace("v1", "v2"))
    submitted = plan.model_copy(
        update={
            "status": PlanStatus.AWAITING_REVIEW,
            "revisions": [Revision(number=1, markdown=store.read_body("p"))],
        }
    )
    store.save(submitted)
    assert store.read_body("p") == "# Draft v2\n" and store.load("p") == submitted
    assert (store.plan_dir / "p" / "r1.md").read_text() == "# Draft v2\n"


def test_body_is_the_current_revision_once_submitted(store: PlanStore) -> None:
    plan = full_plan()
    store.path_of(plan.id).parent.mkdir(parents=True)
    store.path_of(plan.id).write_text("# stale draft\n")
    store.save(plan)  # approved: the file shows the revision, not the stale draft
    assert store.read_body(plan.id) == plan.markdown


# -- atomic writes ------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".*.tmp")]


def test_a_write_failing_midway_leaves_the_old_file(
    store: PlanStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = full_plan()
    path = store.save(plan)
    before = path.read_bytes()
    real_write = os.write

    def half_then_fail(fd: int, data: Any) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", half_then_fail)
    changed = plan.model_copy(update={"title": "Changed title " * 50})
    with pytest.raises(OSError, match="No space"):
        store.save(changed)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert store.load(plan.id) == plan
    assert _leftovers(store.plan_dir) == []


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_fsync_or_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    target = tmp_path / "f.md"
    write_atomic(target, "old")

    def fail(*args: Any) -> None:
        raise OSError(5, f"{step} failed")

    monkeypatch.setattr(atomic.os, step, fail)
    with pytest.raises(OSError, match=f"{step} failed"):
        write_atomic(target, "new")
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def test_write_atomic_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)  # restored below; the process default may differ
    try:
        target = tmp_path / "f.md"
        write_atomic(target, "a")
        assert target.stat().st_mode & 0o777 == 0o644  # 0o666 less the umask, not 0600
        target.chmod(0o660)
        write_atomic(target, b"b")  # an existing file keeps its mode
        assert target.stat().st_mode & 0o777 == 0o660 and target.read_text() == "b"
    finally:
        os.umask(umask)


# -- confinement -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", ".hidden", "x..y", "/abs", "a\\b"])
def test_ids_that_are_not_file_names_are_refused(store: PlanStore, bad: str) -> None:
    with pytest.raises(ValueError, match="invalid plan id"):
        store.path_of(bad)
    with pytest.raises(ValueError, match="invalid plan id"):
        store.save(Plan(id=bad, title="t", goal="g"))


def test_a_symlink_out_of_the_plan_directory_is_refused(store: PlanStore, tmp_path: Path) -> None:
    store.plan_dir.mkdir(parents=True)
    outside = tmp_path / "outside.md"
    outside.write_text("precious")
    (store.plan_dir / "p.md").symlink_to(outside)
    with pytest.raises(PathEscapeError):
        store.save(Plan(id="p", title="t", goal="g"))
    assert outside.read_text() == "precious"


# -- listing and errors -------------------------------------------------------------------


def test_list_newest_first(store: PlanStore) -> None:
    for n, day in enumerate([3, 1, 2]):
        created = datetime(2026, 1, day, tzinfo=UTC)
        store.save(Plan(id=f"p{n}", title="t", goal="g", created=created))
    assert [p.id for p in store.list()] == ["p0", "p2", "p1"]
    assert PlanStore(store.plan_dir / "nowhere").list() == []


def test_a_corrupt_plan_is_named_not_skipped(store: PlanStore) -> None:
    store.save(Plan(id="good", title="t", goal="g"))
    store.save(Plan(id="bad", title="t", goal="g"))
    bad = store.path_of("bad")
    bad.write_text(bad.read_text().replace("status: drafting", "status: [unclosed"))
    (store.plan_dir / "README.md").write_text("# Not a plan\n")  # no front matter, no folder
    with pytest.raises(PlanStoreError, match=re.escape(str(bad))):
        store.list()
    entries = {e.id: e for e in store.scan()}
    assert set(entries) == {"good", "bad"}
    assert entries["good"].plan is not None and entries["good"].error is None
    assert entries["bad"].plan is None and "invalid YAML" in (entries["bad"].error or "")


def _edit_front_matter(
    store: PlanStore, plan_id: str, change: Callable[[dict[str, Any]], None]
) -> Path:
    path = store.path_of(plan_id)
    meta, body = split_front_matter(path.read_text())
    data = yaml.safe_load(meta or "")
    change(data)
    path.write_text(f"---\n{yaml.safe_dump(data)}---\n\n{body}")
    return path


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(id="other"), "says id 'other'"),
        (lambda d: d.update(colour="red"), "`colour`: Extra inputs are not permitted"),
        (lambda d: d.update(status="done"), "`status`"),
        (lambda d: d.update(revision=7), "`revision: 7` but the revisions listed end at 2"),
        (lambda d: d.update(format=99), "unknown format"),
        (lambda d: d["revisions"].append({"number": 3}), "revision 3 is missing"),
    ],
)
def test_load_errors_name_the_file_and_the_problem(
    store: PlanStore, change: Callable[[dict[str, Any]], None], problem: str
) -> None:
    plan = full_plan()
    store.save(plan)
    path = _edit_front_matter(store, plan.id, change)
    with pytest.raises(PlanFileError, match=re.escape(problem)) as info:
        store.load(plan.id)
    assert info.value.path == path and str(path) in str(info.value)


def test_load_missing_plan(store: PlanStore) -> None:
    with pytest.raises(PlanNotFound, match="no plan 'nope'"):
        store.load("nope")


def test_a_plan_file_with_no_front_matter_and_no_saved_copy(store: PlanStore) -> None:
    store.plan_dir.mkdir(parents=True)
    (store.plan_dir / "p").mkdir()
    (store.plan_dir / "p.md").write_text("# Draft written before the first save\n")
    with pytest.raises(PlanFileError, match="no front matter and no saved metadata"):
        store.load("p")
    assert [e.error is not None for e in store.scan()] == [True]


def test_a_plan_file_that_is_not_text(store: PlanStore) -> None:
    store.save(Plan(id="p", title="t", goal="g"))
    store.path_of("p").write_bytes(b"---\n\xff\xfe\n---\n")
    with pytest.raises(PlanFileError, match="not UTF-8"):
        store.load("p")
    with pytest.raises(PlanFileError, match="not UTF-8"):
        store.read_body("p")
