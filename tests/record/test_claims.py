"""One run per plan id at a time, across processes; ids that are no file name, or hold a key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_plan.record.store import InvalidPlanId, PlanConflict, PlanStore, check_id
from jupyter_plan.testing.plans import REVENUE_PLAN, approved_plan


@pytest.fixture
def store(tmp_path: Path) -> PlanStore:
    return PlanStore(tmp_path / "plans")


def test_a_second_claim_is_refused_until_the_first_ends(store: PlanStore) -> None:
    with store.claim("shared", what="%%plan --id shared"):
        busy = r"'shared' is being planned or built by another run \(%%plan --id shared in "
        with pytest.raises(PlanConflict, match=busy), store.claim("shared"):
            pass
        with store.claim("other"):  # another id is free
            pass
    with store.claim("shared"):  # released
        pass
    locks = store.plan_dir / ".locks"
    assert (locks / ".gitignore").read_text().endswith("*\n")  # git never sees them
    assert store.scan() == []  # and they are no plans


def test_another_process_holding_the_id_is_named(store: PlanStore) -> None:
    code = (
        "import sys, time\n"
        "from jupyter_plan.record.store import PlanStore\n"
        f"with PlanStore({str(store.plan_dir)!r}).claim('shared', what='a test'):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        named = rf"\(a test in process {proc.pid} on "
        with pytest.raises(PlanConflict, match=named), store.claim("shared"):
            pass
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=60)
    with store.claim("shared"):  # the OS released it with the process
        pass


def test_next_revision(store: PlanStore) -> None:
    assert store.next_revision(None) == 1 and store.next_revision("new") == 1
    approved_plan(store.plan_dir, "revenue", REVENUE_PLAN)
    assert store.next_revision("revenue") == 2


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a b/c", "", ".hidden", "x" * 201])
def test_bad_ids_are_one_error_type(bad: str) -> None:
    with pytest.raises(InvalidPlanId, match="invalid plan id"):
        check_id(bad)
    assert issubclass(InvalidPlanId, ValueError)  # callers catching ValueError still do


def test_an_id_or_title_holding_a_key_is_never_a_file_name(
    store: PlanStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "mistralkey0123456789")
    with pytest.raises(InvalidPlanId) as info:
        check_id("plan-mistralkey0123456789")
    assert "mistralkey" not in str(info.value)
    plan_id = store.new_id("Use mistralkey0123456789 to chart")
    assert "mistralkey" not in plan_id and "redacted" in plan_id
