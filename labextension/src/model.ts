/**
 * DOM-free state: the plans of one notebook and its approval mode, with signals.
 *
 * Plans come from two places: the plan outputs saved in the notebook (so the list
 * survives a reload with no kernel) and the kernel's live `state` events, which win for
 * a plan they both know. Saved plans remember their cell, so the sidebar can scroll there.
 */
import { ISignal, Signal } from '@lumino/signaling';
import {
  APPROVAL_MODES,
  ApprovalMode,
  IPlanJSON,
  KernelMode,
  JSONObject,
  PLAN_MIME,
  RunAction,
  isObject,
  isPlanJSON
} from './protocol';

/** A plan as the sidebar shows it. */
export interface IPlanEntry {
  plan: IPlanJSON;
  /** The cell holding the plan's saved output (its `%%plan` cell), when known. */
  cellId: string | null;
  /** Whether the live kernel reported it (else it is only saved in the notebook). */
  live: boolean;
}

/** The connection to the kernel, as the sidebar shows it. */
export type ConnectionState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'refused'; message: string };

/** A cell as the model reads it for saved plans. */
export interface ICellOutputs {
  id: string;
  outputs: ReadonlyArray<JSONObject>;
}

/** default → auto_edit → plan → default; from unset or yolo, default. */
export function nextMode(mode: KernelMode): ApprovalMode {
  const index = APPROVAL_MODES.indexOf(mode as ApprovalMode);
  return index < 0 ? 'default' : APPROVAL_MODES[(index + 1) % APPROVAL_MODES.length];
}

export function isApprovalMode(value: unknown): value is ApprovalMode {
  return typeof value === 'string' && (APPROVAL_MODES as string[]).includes(value);
}

export function isKernelMode(value: unknown): value is KernelMode {
  return value === null || value === 'yolo' || isApprovalMode(value);
}

/** How a mode reads in the status bar and the switcher (as jupyter_plan/ui/phases.py). */
export function modeLabel(mode: KernelMode): string {
  switch (mode) {
    case 'default':
      return 'Review each edit';
    case 'auto_edit':
      return 'Auto-accept edits';
    case 'plan':
      return 'Read-only (plan)';
    case 'yolo':
      return 'Allow everything (yolo)';
    default:
      return 'As approved';
  }
}

/** What waits for the person in a plan's run, in words (null: nothing). */
export function waiting(plan: IPlanJSON): string | null {
  const run = plan.run;
  if (!run) {
    return null;
  }
  if (run.pending.questions > 0) {
    return run.pending.questions === 1 ? 'A question waits for you' : `${run.pending.questions} questions wait for you`;
  }
  if (run.pending.approval) {
    return 'An approval waits for you';
  }
  if (run.phase === 'awaiting_review') {
    return 'Awaiting your review';
  }
  return null;
}

/** The actions a plan offers: its run's, or (no run in this kernel) build a saved plan. */
export function entryActions(entry: IPlanEntry): RunAction[] {
  const run = entry.plan.run;
  if (run) {
    return run.actions;
  }
  if (!entry.live) {
    return [];
  }
  if (entry.plan.status === 'approved') {
    return ['build'];
  }
  return entry.plan.status === 'built' ? ['rebuild'] : [];
}

/** Whether a server path has a segment JupyterLab treats as hidden (`.name`). */
export function isHiddenPath(path: string): boolean {
  return path.split('/').some(part => part.startsWith('.') && part !== '.' && part !== '..');
}

/**
 * The server path of a plan's Markdown file: `file` is relative to the notebook's folder.
 * Null when it is absent or lies outside the server's root (JupyterLab cannot open it).
 */
export function planFilePath(notebookPath: string, file: string | null | undefined): string | null {
  if (!file || file.startsWith('/')) {
    return null;
  }
  const parts = notebookPath.split('/').slice(0, -1);
  for (const part of file.split('/')) {
    if (part === '..') {
      if (parts.length === 0) {
        return null;
      }
      parts.pop();
    } else if (part !== '.' && part !== '') {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/** Plans found in saved cell outputs: newest output of a plan id wins. */
export function plansFromCells(cells: ReadonlyArray<ICellOutputs>): Map<string, IPlanEntry> {
  const found = new Map<string, IPlanEntry>();
  for (const cell of cells) {
    for (const output of cell.outputs) {
      const data = output.data;
      if (!isObject(data)) {
        continue;
      }
      const plan = data[PLAN_MIME];
      if (isPlanJSON(plan)) {
        const seen = found.get(plan.id);
        if (!seen || newer(plan, seen.plan)) {
          found.set(plan.id, { plan, cellId: cell.id, live: false });
        }
      }
    }
  }
  return found;
}

function newer(a: IPlanJSON, b: IPlanJSON): boolean {
  if (a.revision !== b.revision) {
    return a.revision > b.revision;
  }
  return (a.updated ?? '') >= (b.updated ?? '');
}

/** Other plans of the project shown at first, and how many more each "Show older" adds:
 * thousands of full cards would make the panel (and each update of it) slow to draw. */
export const OTHER_PLANS_SHOWN = 50;

/** The plans the panel draws: all of this notebook's own (saved in its outputs, run in its
 * kernel, or waiting for the person), and of the rest the newest `limit` that match
 * `filter` (title or id, any case). Oldest first, as the model lists them. */
export function shownPlans(
  plans: IPlanEntry[],
  filter: string,
  limit: number
): { shown: IPlanEntry[]; hidden: number } {
  const words = filter.trim().toLowerCase();
  // One test per entry: 1 = this notebook's own (always shown), 2 = another plan, 0 = filtered out.
  const kinds = plans.map(e => {
    if (words && !`${e.plan.title} ${e.plan.id}`.toLowerCase().includes(words)) {
      return 0;
    }
    return e.cellId || e.plan.run || waiting(e.plan) ? 1 : 2;
  });
  const others = kinds.filter(k => k === 2).length;
  const skip = Math.max(0, others - limit); // the oldest others come first in the list
  const shown: IPlanEntry[] = [];
  let seen = 0;
  plans.forEach((e, i) => {
    if (kinds[i] === 1 || (kinds[i] === 2 && seen++ >= skip)) {
      shown.push(e);
    }
  });
  return { shown, hidden: skip };
}

export class PlansModel {
  private _saved = new Map<string, IPlanEntry>();
  private _live = new Map<string, IPlanJSON>();
  private _mode: KernelMode = null;
  private _defaultMode: KernelMode = null;
  private _modeRequests = 0;
  private _pending: string | null = null;
  private _loading = 0;
  private _connection: ConnectionState = { kind: 'disconnected' };
  private _changed = new Signal<this, void>(this);
  private _modeChanged = new Signal<this, KernelMode>(this);

  constructor(readonly path: string = '') {}

  /** Emitted when the plans, the pending approval or the connection change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get modeChanged(): ISignal<this, KernelMode> {
    return this._modeChanged;
  }

  /** The kernel's approval mode; null until one is set (builds use the approved mode). */
  get mode(): KernelMode {
    return this._mode;
  }

  set mode(mode: KernelMode) {
    if (mode !== this._mode) {
      this._mode = mode;
      this._modeChanged.emit(mode);
    }
  }

  /** A mode change asked of the kernel: shown at once; `state` events sent before the kernel
   * took it do not undo it (a quick second press of the cycle goes on from it). */
  beginModeChange(mode: KernelMode): void {
    this._modeRequests++;
    this.mode = mode;
  }

  /** The kernel answered a mode change: `mode` is what it holds now (the asked mode, or the
   * one before if it refused). */
  endModeChange(mode: KernelMode): void {
    this._modeRequests = Math.max(0, this._modeRequests - 1);
    if (this._modeRequests === 0) {
      this.mode = mode;
    }
  }

  /** The `default_approval_mode` setting when a settings source chose one, else null. */
  get defaultMode(): KernelMode {
    return this._defaultMode;
  }

  /** How many older plans the kernel is still sending (a big store comes in pages). */
  get loading(): number {
    return this._loading;
  }

  /** The id of the plan waiting for approval, if any. */
  get pendingApproval(): string | null {
    return this._pending;
  }

  get connection(): ConnectionState {
    return this._connection;
  }

  set connection(state: ConnectionState) {
    this._connection = state;
    this._changed.emit();
  }

  /** The plans, saved and live merged, oldest first. */
  get plans(): IPlanEntry[] {
    const out = new Map<string, IPlanEntry>(this._saved);
    for (const [id, plan] of this._live) {
      const saved = this._saved.get(id);
      out.set(id, { plan, cellId: saved?.cellId ?? null, live: true });
    }
    // drafts (a run with no plan yet) have no date: they are the newest
    return [...out.values()].sort((a, b) =>
      (a.plan.created ?? '\uffff').localeCompare(b.plan.created ?? '\uffff')
    );
  }

  plan(id: string): IPlanEntry | undefined {
    return this.plans.find(p => p.plan.id === id);
  }

  /** Re-read the plans saved in the notebook's outputs. */
  setSavedFromCells(cells: ReadonlyArray<ICellOutputs>): void {
    const next = plansFromCells(cells);
    if (!sameEntries(next, this._saved)) {
      this._saved = next;
      this._changed.emit();
    }
  }

  /** A kernel `state` event: `{plans?, mode?, pending_approval?, loading?}`; unknown fields
   * ignored. */
  applyState(args: JSONObject): void {
    if (Array.isArray(args.plans)) {
      const plans: unknown[] = args.plans;
      this._live = new Map(
        plans.filter(isPlanJSON).map(p => [p.id, p] as [string, IPlanJSON])
      );
    }
    if ('mode' in args && isKernelMode(args.mode) && this._modeRequests === 0) {
      this.mode = args.mode;
    }
    if ('default_mode' in args && isKernelMode(args.default_mode)) {
      const changed = args.default_mode !== this._defaultMode;
      this._defaultMode = args.default_mode;
      if (changed) {
        this._modeChanged.emit(this._mode);
      }
    }
    if ('pending_approval' in args) {
      const pending = args.pending_approval;
      this._pending = typeof pending === 'string' ? pending : null;
    }
    if ('loading' in args) {
      const loading = args.loading;
      this._loading = typeof loading === 'number' && loading > 0 ? loading : 0;
    }
    this._changed.emit();
  }

  /**
   * A kernel `plans` event, sent after a first `state` to a panel announcing `plans_delta`:
   * `{changed, removed, mode, default_mode, pending_approval}`. Each changed plan replaces
   * (or adds) the one with its id, each removed id goes; the other plans stay as they were.
   */
  applyDelta(args: JSONObject): void {
    const live = new Map(this._live);
    const removed: unknown[] = Array.isArray(args.removed) ? args.removed : [];
    for (const id of removed) {
      if (typeof id === 'string') {
        live.delete(id);
      }
    }
    const changed: unknown[] = Array.isArray(args.changed) ? args.changed : [];
    for (const plan of changed.filter(isPlanJSON)) {
      live.set(plan.id, plan);
    }
    this._live = live;
    const rest: JSONObject = { ...args };
    delete rest.changed;
    delete rest.removed;
    this.applyState(rest); // the mode and the pending approval, as in state; emits changed
  }

  /** Forget what the kernel said (it restarted or went away); saved plans stay. */
  clearLive(): void {
    this._live.clear();
    this._pending = null;
    this._loading = 0;
    this.mode = null; // a new kernel starts with no mode set
    this._defaultMode = null;
    this._changed.emit();
  }
}

function sameEntries(a: Map<string, IPlanEntry>, b: Map<string, IPlanEntry>): boolean {
  if (a.size !== b.size) {
    return false;
  }
  for (const [id, entry] of a) {
    const other = b.get(id);
    if (!other || other.cellId !== entry.cellId) {
      return false;
    }
    if (JSON.stringify(other.plan) !== JSON.stringify(entry.plan)) {
      return false;
    }
  }
  return true;
}
