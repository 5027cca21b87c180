"""What each magic does. Errors a person can act on become one-line ``UsageError``s."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import Markdown, display

from jupyter_plan.models import Plan, PlanStatus
from jupyter_plan.notebook.endings import ended, stopped
from jupyter_plan.notebook.kernel_session import Flags, KernelSession, bundle, placeholder
from jupyter_plan.policy.types import MODE_NAMES, Mode
from jupyter_plan.record.store import PlanStore, PlanStoreError
from jupyter_plan.redaction import redact_credentials, scrub

NO_PLAN = (
    "**jupyter-plan:** the model answered in text and submitted no plan. To get a plan, click "
    "Retry (or run this cell again), or say *write a plan* in the task. Its answer:\n\n"
)


def explain(error: BaseException, where: str = "") -> str:
    """One line a person can act on (what, and where when given), with no traceback and no
    credential: a model error's first line is its sentence, the details stay behind it."""
    text = str(error).strip()
    if not getattr(error, "whole", False):  # a drift report is read whole: what changed, the fix
        text = text.partition("\n")[0] or type(error).__name__
    if not where and not hasattr(error, "sentence"):  # a model error's sentence says it all
        where = type(error).__name__
    return scrub(f"{where}: {text}" if where else text)


def _claim(
    store: PlanStore, plan_id: str | None, where: str, session: KernelSession | None = None
) -> Any:
    """Hold ``plan_id`` for one run: a second run of it, from any kernel, is refused in one
    line instead of overwriting this one's plan (``record/lock.py``). Behind runs of this
    session still going (Run All), it is claimed when this run's turn comes."""
    if session is not None and session.queued():
        return _claimed_later(store, plan_id, where)
    held = contextlib.ExitStack()
    if plan_id:
        try:
            held.enter_context(store.claim(plan_id, what=f"{where} {plan_id}"))
        except PlanStoreError as exc:
            raise UsageError(explain(exc, where)) from None
    return held


@contextlib.contextmanager
def _claimed_later(store: PlanStore, plan_id: str | None, where: str) -> Any:
    if not plan_id:
        yield
        return
    with store.claim(plan_id, what=f"{where} {plan_id}"):
        yield


def _notes(model: str | None) -> None:
    """Say once, in the cell, what the model route cannot do."""
    from jupyter_plan.agent.providers import route_notes

    for note in route_notes(model):
        print(f"jupyter-plan: note: {note}")


def _expected() -> tuple[type[BaseException], ...]:
    from jupyter_plan.agent.builder import BuildRefused
    from jupyter_plan.agent.client import ModelError
    from jupyter_plan.agent.human import NeedsPerson
    from jupyter_plan.agent.loop import LoopStopped
    from jupyter_plan.agent.replay import ReplayDrift
    from jupyter_plan.agent.runs import RunSetupError
    from jupyter_plan.bridge.base import BridgeError
    from jupyter_plan.plan_format import PlanFormatError
    from jupyter_plan.policy.loader import PolicyError
    from jupyter_plan.record.store import PlanStoreError
    from jupyter_plan.record.transcript import TranscriptError, TranscriptMissing
    from jupyter_plan.settings import SettingsError

    return (
        BuildRefused, ModelError, NeedsPerson, LoopStopped, RunSetupError, BridgeError,
        PlanFormatError, PolicyError, ReplayDrift, SettingsError, PlanStoreError,
        TranscriptError, TranscriptMissing,
    )  # fmt: skip


def _flags(args: argparse.Namespace) -> Flags:
    return Flags(args.model, args.api_base, args.notebook)


def _run(
    session: KernelSession,
    run: Callable[[Any], Any],
    done: Callable[[Any], None],
    fail: Callable[[BaseException], None],
    quiet: tuple[type[BaseException], ...] = (),
) -> Any:
    """Start ``run``; ``done``/``fail`` report where the person looks. Headless failures of
    a kind a person can act on stop the notebook with a one-line UsageError; ``quiet``
    ones (already reported by ``fail``) do not stop it."""

    def on_done(value: Any, error: BaseException | None) -> None:
        if error is None:
            done(value)
        elif not isinstance(error, KeyboardInterrupt):
            fail(error)

    try:
        return session.start(run, on_done=on_done)
    except quiet:
        return None
    except _expected() as exc:
        raise UsageError(explain(exc)) from None


def _card(human: Any) -> Any:
    """The run's state when a card shows it (live), else None (headless: errors are raised)."""
    return getattr(human, "state", None)


def plan(shell: InteractiveShell, task: str, args: argparse.Namespace) -> None:
    from jupyter_plan.agent.planner import PlanRun, run_plan
    from jupyter_plan.record.pages import suggest_page

    session = KernelSession.of(shell)
    flags = _flags(args)
    try:
        resolved, notebook = session.resolve(flags)
        if not resolved.settings.plan.enabled:
            source = resolved.sources["plan.enabled"]
            raise UsageError(f"%%plan is turned off: plan.enabled = false ({source})")
        bridge = session.bridge(flags)
    except _expected() as exc:
        raise UsageError(explain(exc, "%%plan")) from None
    held = _claim(session.store(resolved), args.plan_id, "%%plan --id", session)
    choice = session.take_choice()  # "Re-plan live" / "Keep the recorded plan" on a drift
    _notes(resolved.settings.model)
    human = session.human(task.strip().splitlines()[0][:60], args.approve, yes=False)
    review = _card(human)
    if review is not None:  # the card offers Turn into a page past this size
        review.suggest_after_chars = resolved.settings.pages.suggest_after_chars
    handle = placeholder("" if review is not None else "*Planning…*")  # the card says it

    async def run(executor: Any) -> Any:
        with held:
            return await run_plan(
                PlanRun(
                    task=task,
                    resolved=resolved,
                    bridge=bridge,
                    human=human,
                    namespace=shell.user_ns,
                    plan_id=args.plan_id,
                    skill=args.skill,
                    listener=getattr(human, "on_event", None),
                    live=args.live or choice == "live",
                    keep=args.recorded or choice == "keep",
                    pages=tuple(getattr(args, "pages", None) or ()),
                )
            )

    def done(outcome: Any) -> None:
        if outcome.plan is None:  # answered in text: no plan was submitted
            handle.update(Markdown(scrub(NO_PLAN + (outcome.answer or "(no text)"))))
            ended(review, None)
            return
        session.last_plan = outcome.plan.id

        def show(plan: Plan) -> None:
            handle.update(redact_credentials(bundle(plan, resolved, notebook)), raw=True)

        show(outcome.plan)
        if hint := suggest_page(outcome.plan, resolved.settings.pages.suggest_after_chars):
            print(f"jupyter-plan: note: {hint}")
        session.plan_outputs[outcome.plan.id] = show  # a build updates it (N/M steps)
        ended(review, outcome.plan)
        session.changed()

    fail = stopped(session, handle, review, "Stopped; the draft is kept.")
    try:
        running = _run(session, run, done, fail)
    except BaseException:
        held.close()  # headless: the run is over; a run that never started holds nothing
        raise
    if review is not None and running is not None:
        review.on_stop = running.cancel


def build(shell: InteractiveShell, args: argparse.Namespace) -> None:
    from jupyter_plan.agent.builder import BuildRefused, BuildRun, choose_plan, run_build
    from jupyter_plan.notebook.build_choice import choose_bare_build
    from jupyter_plan.record.approval import check_approved

    session = KernelSession.of(shell)
    flags = _flags(args)
    try:
        resolved, notebook = session.resolve(flags)
        store = session.store(resolved)
        mine = [p for p in session.plan_outputs if p != session.last_plan]  # this session's
        mine += [session.last_plan] if session.last_plan else []
        plan_id = args.plan_id or choose_bare_build(store, notebook, resolved.project_root, mine)
        target = choose_plan(store, plan_id or None)
        check_approved(store, target)  # the approved text, unchanged since approval
    except _expected() as exc:
        raise UsageError(explain(exc, "%build")) from None
    held = _claim(session.store(resolved), target.id, "%build", session)
    choice = session.take_choice()
    _notes(resolved.settings.model)
    mode = build_mode(args, session.mode, target, resolved.settings.default_approval_mode)
    human = session.human(f"Build: {target.title}", None, yes=args.yes, kind="build")
    review = _card(human)
    if review is not None:
        review.plan = target
        review.undoable = target.id in session.undo
    handle = placeholder("" if review is not None else f"*Building {target.id}…*")

    async def run(executor: Any) -> Any:
        bridge = session.bridge(flags, executor)

        def keep(token: str) -> None:
            session.keep_checkpoint(target.id, bridge, token)

        with held:
            return await run_build(
                BuildRun(
                    resolved=resolved,
                    bridge=bridge,
                    human=human,
                    plan_id=target.id,
                    mode=mode,
                    rebuild=args.rebuild,
                    namespace=shell.user_ns,
                    listener=getattr(human, "on_event", None),
                    on_step=(lambda s: review.set_step(s.id, s.status, s.note)) if review else None,
                    on_checkpoint=keep,
                    live=args.live or choice == "live",
                )
            )

    def done(outcome: Any) -> None:
        summary = scrub(outcome.summary)
        handle.update(Markdown(f"```text\n{summary}\n```\nUndo with `%build --undo {target.id}`."))
        if target.id in session.plan_outputs:  # the %%plan cell shows the plan as built
            session.plan_outputs[target.id](outcome.plan)
        for other in session.runs(target.id):
            other.sync_plan(outcome.plan)
        ended(review, outcome.plan, outcome.summary)
        session.changed()

    def fail(error: BaseException) -> None:
        if isinstance(error, BuildRefused):  # "already built": say so, change nothing
            if review is None:
                handle.update(Markdown(f"**jupyter-plan:** {error}"))
            elif target.status is PlanStatus.BUILT:
                review.finish(target, str(error))
            else:
                review.end_with(error)
            return
        handle.update(Markdown(""))  # said once: on the card, or by the UsageError
        if review is not None:
            plan = review.plan or target
            done_steps = sum(s.status == "done" for s in plan.steps)
            review.end_with(
                error,
                f"Stopped after {done_steps} of {len(plan.steps)} steps; the notebook as "
                "before the build is kept: Undo build restores it.",
            )
        session.changed()

    try:
        running = _run(session, run, done, fail, quiet=(BuildRefused,))  # "already built"
    except BaseException:
        held.close()
        raise
    if review is not None and running is not None:
        review.on_stop = running.cancel


def build_mode(
    args: argparse.Namespace, session_mode: Mode | None, plan: Plan, default: str
) -> Mode | None:
    """The mode a build runs in; the first that says wins: ``--auto-edit``/``--manual``,
    the session's (``%plan mode``, the sidebar), the plan's approval, the settings' default.
    None: the builder uses the plan's approval."""
    if args.auto_edit:
        return Mode.AUTO_EDIT
    if args.manual:
        return Mode.DEFAULT
    if session_mode is not None:
        return session_mode
    return None if plan.build_mode else Mode.parse(default)


def undo(shell: InteractiveShell, args: argparse.Namespace) -> None:
    session = KernelSession.of(shell)
    plan_id = args.plan_id or next(reversed(session.undo), None)
    if plan_id is None or plan_id not in session.undo:
        raise UsageError("%build --undo: no build to undo in this kernel session")
    try:
        resolved, _ = session.resolve(_flags(args))
    except _expected() as exc:
        raise UsageError(explain(exc, "%build --undo")) from None
    store = session.store(resolved)

    async def run(executor: Any) -> Plan:
        return await session.undo_build(plan_id, store)

    handle = placeholder(f"*Undoing the build of {plan_id}…*")
    _run(
        session,
        run,
        lambda p: handle.update(Markdown(f"Undone: the notebook is as before building `{p.id}`.")),
        lambda e: handle.update(Markdown(f"**jupyter-plan:** undo failed: {explain(e)}")),
    )


def show(shell: InteractiveShell, words: list[str] | None, args: argparse.Namespace) -> None:
    """``%plan show ID``, or ``%plan``: this session's last plan, else the newest readable
    one (a broken plan file elsewhere does not hide the others: ``%plan list`` shows it)."""
    session = KernelSession.of(shell)
    where = "%plan show" if words else "%plan"
    try:
        resolved, notebook = session.resolve(_flags(args))
        store = session.store(resolved)
        if words:
            found: Plan | None = store.load(words[0])
        else:
            entries = store.scan()
            plans = [e.plan for e in entries if e.plan is not None]
            last = [p for p in plans if p.id == session.last_plan]
            found = (last or plans)[0] if (last or plans) else None
            if found is None and entries:
                raise UsageError(f"%plan: no readable plan; {entries[0].error} (see %plan list)")
    except _expected() as exc:
        raise UsageError(explain(exc, where)) from None
    if found is None:
        raise UsageError("no plans yet: write a task in a %%plan cell")
    display(redact_credentials(bundle(found, resolved, notebook)), raw=True)


def list_plans(shell: InteractiveShell, words: list[str], args: argparse.Namespace) -> None:
    session = KernelSession.of(shell)
    try:
        resolved, _ = session.resolve(_flags(args))
    except _expected() as exc:
        raise UsageError(explain(exc, "%plan list")) from None
    from jupyter_plan.record.index import index_of

    entries = index_of(session.store(resolved).plan_dir).outlines()  # parsed once per change
    if not entries:
        display(Markdown("No plans yet: write a task in a `%%plan` cell."))
        return
    rows = ["| plan | status | rev | title |", "|---|---|---|---|"]
    for e in entries:
        if e.data is None:
            rows.append(f"| `{e.id}` | broken | | {e.error} |")
        else:
            rows.append(f"| `{e.id}` | {e.status} | {e.revision} | {e.title} |")
    display(Markdown(scrub("\n".join(rows))))


def mode(shell: InteractiveShell, words: list[str], args: argparse.Namespace) -> None:
    session = KernelSession.of(shell)
    if words:
        try:
            session.mode = Mode.parse(words[0])
        except ValueError:
            raise UsageError(f"%plan mode: {words[0]!r} is not a mode; use {MODE_NAMES}") from None
        session.changed()
    current = session.mode.value if session.mode else "the mode chosen at approval"
    print(f"approval mode for %build: {current}")


def policy(argv: list[str]) -> None:
    from jupyter_plan.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:  # argparse reports usage errors by exiting
        code = int(exc.code or 0)
    if code:
        raise UsageError(f"%plan {' '.join(argv)}: failed (exit status {code}); see above")
