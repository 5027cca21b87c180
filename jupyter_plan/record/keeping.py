"""What a plan or build run leaves in the plan store: the store policy of live and replayed runs.

The planner and builder run the same flow whether a model answers or a recording does; they
ask this policy what to write. A live run writes as it goes: a new plan (or, ``--id`` of an
existing one, that plan reopened for a new revision), the draft kept on any failure, the
result. A replay re-enacts a run that already wrote its files: it starts from nothing, as
the recording did, and when it reproduces the stored plan it leaves the stored file as it
was (its timestamps, and "built" if it was built: whether its cells are in the notebook is
for ``%build`` to see); a replay that fails leaves the recorded plan as it was.
"""

from __future__ import annotations

from typing import Any

from jupyter_plan.models import Plan, PlanStatus, QuestionRecord, Usage
from jupyter_plan.record.store import PlanStore
from jupyter_plan.session import transition


class LiveKeeping:
    """A live run: it writes what it makes."""

    def __init__(self, store: PlanStore) -> None:
        self.store = store

    def plan_id(self, requested: str | None, recorded: str | None, title: str) -> str:
        return requested or self.store.new_id(title)

    def start_plan(self, plan_id: str, task: str, model: str | None, notebook: str | None) -> Plan:
        """A new plan, or (``--id`` of an existing one) that plan reopened for a new revision."""
        if self.store.path_of(plan_id).exists():
            plan = self.store.load(plan_id)
            if plan.status is not PlanStatus.DRAFTING:
                plan = transition(plan, PlanStatus.DRAFTING)
            return plan.model_copy(update={"goal": task, "model": model})
        return fresh_plan(plan_id, task, model, notebook)

    def plan_failed(self, plan: Plan, usage: Usage, questions: list[QuestionRecord]) -> None:
        """On any failure or interrupt: save what we have; the draft file is never deleted."""
        self.store.save(plan.model_copy(update={"usage": usage, "questions": questions}))

    def plan_finished(self, plan: Plan) -> Plan:
        return plan

    def build_failed(self, original: Plan, failed: Plan) -> None:
        self.store.save(failed)

    def build_finished(self, original: Plan, built: Plan) -> Plan:
        return built


class ReplayKeeping(LiveKeeping):
    """A replay: it re-enacts a run whose files exist (see the module doc)."""

    def __init__(self, store: PlanStore) -> None:
        super().__init__(store)
        self.stored: Plan | None = None

    def plan_id(self, requested: str | None, recorded: str | None, title: str) -> str:
        plan_id = recorded or requested or self.store.new_id(title)
        self.stored = self.store.load(plan_id) if self.store.path_of(plan_id).exists() else None
        return plan_id

    def start_plan(self, plan_id: str, task: str, model: str | None, notebook: str | None) -> Plan:
        return fresh_plan(plan_id, task, model, notebook)  # the recording started from nothing

    def plan_failed(self, plan: Plan, usage: Usage, questions: list[QuestionRecord]) -> None:
        if self.stored is not None:
            self.store.save(self.stored)  # a failed replay leaves the recorded plan as it was
        else:
            super().plan_failed(plan, usage, questions)

    def plan_finished(self, plan: Plan) -> Plan:
        stored = self.stored
        if stored is None or not same_plan(stored, plan):
            return plan
        # The cell shows the plan as planned, as when recorded: a later build reads that.
        self.store.save(stored)
        return plan.model_copy(update={"created": stored.created, "updated": stored.updated})

    def build_failed(self, original: Plan, failed: Plan) -> None:
        self.store.save(original)

    def build_finished(self, original: Plan, built: Plan) -> Plan:
        if original.status is PlanStatus.BUILT and same_steps(original, built):
            return original  # the recorded build, replayed: the plan file stays as recorded
        return built


Keeping = LiveKeeping  # the interface: ReplayKeeping is one


def fresh_plan(plan_id: str, task: str, model: str | None, notebook: str | None) -> Plan:
    return Plan(id=plan_id, title=title_of(task), goal=task, model=model, notebook_path=notebook)


def title_of(task: str) -> str:
    first = next((line.strip() for line in task.splitlines() if line.strip()), "plan")
    return first if len(first) <= 60 else first[:57].rstrip() + "…"


def without_times(plan: Plan, *, seal: bool = True) -> dict[str, Any]:
    """The plan minus wall-clock times: what a replay must reproduce exactly (``seal``:
    with the approved revision's fingerprint)."""
    exclude: dict[str, Any] = {
        "created": True,
        "updated": True,
        "revisions": {"__all__": {"created"}},
        "questions": {"__all__": {"at"}},
    }
    if not seal:
        exclude["approved"] = True
    return plan.model_dump(exclude=exclude)


def same_plan(stored: Plan, replayed: Plan) -> bool:
    """Whether ``replayed`` is ``stored`` as planned, before any build changed it. A plan
    recorded before approvals were fingerprinted is kept as recorded, without one."""
    seal = stored.approved is not None
    if without_times(stored, seal=seal) == without_times(replayed, seal=seal):
        return True
    if stored.status not in (PlanStatus.BUILT, PlanStatus.BUILDING):
        return False
    if replayed.status is not PlanStatus.APPROVED:
        return False
    keep = {"status", "steps", "usage"}
    mine, theirs = without_times(stored, seal=seal), without_times(replayed, seal=seal)
    steps = [(s.id, s.title, s.verification) for s in stored.steps]
    return {k: v for k, v in mine.items() if k not in keep} == {
        k: v for k, v in theirs.items() if k not in keep
    } and steps == [(s.id, s.title, s.verification) for s in replayed.steps]


def same_steps(a: Plan, b: Plan) -> bool:
    return a.revision == b.revision and [(s.id, s.status, s.note) for s in a.steps] == [
        (s.id, s.status, s.note) for s in b.steps
    ]
